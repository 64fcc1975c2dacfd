// heartbeat OUTPUT_FILE: runs on as long as nothing of its threads' state is changed behind its
// back, and says so.
// Main sleeps in nanosleep (a restart block when interrupted), a waiter blocks in a futex wait
// (plainly restarted), a spinner stays in user mode. Every 10 ms main appends
// "beat MAIN WAITS SPINS" to the output; each SIGUSR1 appends "usr1 N". SIGUSR2 stays blocked in
// every thread, so a changed mask shows. Any failed check exits with a message, and wrong
// registers crash it.
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int out;
static volatile int ticks;
static volatile unsigned long waits, spins;
static volatile sig_atomic_t usr1;

static void say(const char *line) {
  if (write(out, line, strlen(line)) < 0) _exit(3);
}

__attribute__((noreturn)) static void fail(const char *what) {
  char line[200];
  snprintf(line, sizeof line, "FAIL %s: %s\n", what, strerror(errno));
  say(line);
  _exit(2);
}

static void on_usr1(int sig) {
  (void)sig;
  int saved = errno;
  char line[32];
  usr1++;
  int n = snprintf(line, sizeof line, "usr1 %d\n", (int)usr1);
  if (write(out, line, n) != n) _exit(3);
  errno = saved;
}

// A futex wait is restarted (ERESTARTSYS) when a stop interrupts it.
static void *waiter(void *arg) {
  (void)arg;
  for (int seen = 0;; waits++) {
    while (ticks == seen) {
      if (syscall(SYS_futex, &ticks, FUTEX_WAIT_PRIVATE, seen, 0, 0, 0) && errno != EAGAIN && errno != EINTR) fail("futex wait");
    }
    seen = ticks;
  }
}

// Values carried in registers across many iterations: a changed register shows as a mismatch.
static void *spinner(void *arg) {
  (void)arg;
  unsigned long a = 1, b = 1;
  for (;;) {
    for (int i = 0; i < 100000; i++) {
      a = a * 6364136223846793005UL + 1442695040888963407UL;
      b = b * 6364136223846793005UL + 1442695040888963407UL;
      __asm__ volatile("" : "+r"(b)); // the compiler may not know b == a
      if (a != b) fail("spinner registers");
    }
    spins++;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) return 1;
  syscall(SYS_close_range, 3, ~0U, 0); // descriptors inherited from the runner are not the tree's
  out = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (out < 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGUSR1, &sa, 0)) fail("sigaction");
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &blocked, 0)) fail("sigprocmask");
  pthread_t t;
  if (pthread_create(&t, 0, waiter, 0) || pthread_create(&t, 0, spinner, 0)) fail("pthread_create");
  for (unsigned long beat = 1;; beat++) {
    struct timespec ts = { 0, 1000000 }, left;
    while (nanosleep(&ts, &left)) {
      if (errno != EINTR) fail("nanosleep");
      ts = left;
    }
    ticks++;
    if (syscall(SYS_futex, &ticks, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0) < 0) fail("futex wake");
    if (beat % 10 == 0) {
      char line[96];
      snprintf(line, sizeof line, "beat %lu %lu %lu\n", beat, waits, spins);
      say(line);
    }
  }
}
