// One process running N threads (argv[1], the main thread included); writes its pid to DIR/ready
// (argv[2]) once every thread runs. SIGUSR1 asks it to check itself: the main thread signals every
// other thread, each of which confirms that its thread id and its thread-local index are what
// they were, and the main thread answers "ok N" once all have, or "failed K: ..." after 5 s. The
// other threads block SIGUSR1, so that the benchmark's signal always reaches the main thread.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <sys/syscall.h>
#include "ready.h"
#include "answer.h"

/** Small stacks: the figure is to be about threads, not about the 8 GiB of address space of default ones. */
#define STACK (128 << 10)

static int threads;
static pid_t *tids;
/** Set by each thread to the round it answered; minus the round when what it found was off. */
static volatile sig_atomic_t *answered;
static volatile sig_atomic_t round_asked;
static __thread int thread_index;
static pthread_barrier_t started;

static pid_t own_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void on_asked(int sig) {
  (void)sig;
  int r = round_asked;
  answered[thread_index] = own_tid() == tids[thread_index] ? r : -r;
}

static void *idle(void *arg) {
  thread_index = (int)(long)arg;
  tids[thread_index] = own_tid();
  pthread_barrier_wait(&started);
  for (;;) pause();
  return NULL;
}

static void on_check(int sig) {
  (void)sig;
  int r = ++round_asked;
  for (int i = 1; i < threads; i++) syscall(SYS_tgkill, getpid(), tids[i], SIGUSR2);
  struct timespec tick = { 0, 1000000 };
  for (int waited = 0; waited < 5000; waited++) {
    int ok = 1;
    for (int i = 1; i < threads; i++) {
      if (answered[i] == -r) { answer("failed ", i, ": its thread id or thread-local index changed"); return; }
      if (answered[i] != r) ok = 0;
    }
    if (ok) { answer("ok ", threads, ""); return; }
    nanosleep(&tick, 0);
  }
  int came = 1;
  for (int i = 1; i < threads; i++) came += answered[i] == r;
  answer("failed ", came, " threads answered in 5 s");
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  keep_only_stdio();
  threads = atoi(argv[1]);
  tids = calloc(threads, sizeof *tids);
  answered = calloc(threads, sizeof *answered);
  tids[0] = own_tid();
  signal(SIGUSR2, on_asked);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, 0);
  pthread_barrier_init(&started, NULL, threads);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, STACK);
  for (long i = 1; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, &attr, idle, (void *)i)) return 1;
  }
  pthread_barrier_wait(&started);
  signal(SIGUSR1, on_check);
  pthread_sigmask(SIG_UNBLOCK, &usr1, 0);
  announce_ready(argv[2]);
  for (;;) pause();
}
