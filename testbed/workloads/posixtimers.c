// POSIX timers and interval timers whose state a restore must keep. Four timers are made and the
// second deleted, so the ids the program holds are 0, 2 and 3: a monotonic interval timer that
// signals SIGRTMIN+1 (its time left and period), a realtime one that notifies nothing (one-shot),
// and a 200 ms monotonic timer whose SIGRTMIN+2 the program counts with its value and timer id.
// A fifth timer signals a second thread (SIGEV_THREAD_ID) every 150 ms: that thread must be the
// one that gets it. A sixth is glibc's SIGEV_THREAD, whose function runs every 100 ms (glibc's
// helper thread waits for the kernel timer's signal). With argv[1] "thread-clock", a seventh
// counts the CPU time of the thread that made it (CLOCK_THREAD_CPUTIME_ID), which a dump refuses. ITIMER_REAL and ITIMER_VIRTUAL run (the kernel rounds CPU-time values up to its tick), ITIMER_PROF does not. "ready" comes 1.5 s after arming,
// so a timer whose time left went back to its first value shows it.
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define TICK_VALUE 0x77

static volatile sig_atomic_t ticks;
static volatile int tick_value, tick_timer;

static void on_tick(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  ticks++;
  tick_value = si->si_value.sival_int;
  tick_timer = si->si_timerid;
}

static volatile sig_atomic_t aimed_hits;
static volatile pid_t aimed_at, worker_tid;

static void on_aimed(int sig) { (void)sig; aimed_hits++; aimed_at = gettid(); }

static volatile sig_atomic_t thread_calls;

static void on_thread_timer(union sigval v) { if (v.sival_int == 0x99) thread_calls++; }

static void *worker(void *arg) {
  (void)arg;
  worker_tid = gettid();
  for (;;) pause();
  return NULL;
}

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * NS + t.tv_nsec; }
static int64_t us_of(struct timeval t) { return (int64_t)t.tv_sec * 1000000 + t.tv_usec; }

static timer_t make(clockid_t clock, int notify, int signo, int value, time_t first_s, long first_ns, time_t period_s, long period_ns) {
  struct sigevent sev = { .sigev_notify = notify, .sigev_signo = signo, .sigev_value.sival_int = value };
  timer_t t;
  if (timer_create(clock, &sev, &t) != 0) { perror("timer_create"); _exit(2); }
  struct itimerspec its = { .it_value = { first_s, first_ns }, .it_interval = { period_s, period_ns } };
  if (timer_settime(t, 0, &its, NULL) != 0) { perror("timer_settime"); _exit(2); }
  return t;
}

/** Waits up to a second (of monotonic time: signals cut sleeps short) for COUNTER to reach TARGET. */
static int reaches(volatile sig_atomic_t *counter, int target) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    if (*counter >= target) return 1;
    usleep(10000);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (ns_of(now) - ns_of(start) < NS);
  return *counter >= target;
}

static struct itimerspec times_of(timer_t t, const char *name) {
  struct itimerspec its = { 0 };
  expect(timer_gettime(t, &its) == 0, "timer %s (id %ld) is gone", name, (long)(intptr_t)t);
  return its;
}

int main(int argc, char **argv) {
  checks_on_sigusr1();
  struct sigaction sa = { .sa_sigaction = on_tick, .sa_flags = SA_SIGINFO | SA_RESTART };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGRTMIN + 2, &sa, NULL);
  signal(SIGRTMIN + 1, SIG_IGN);
  timer_t periodic = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 1, 0x51, 50, 0, 5, 0);
  timer_t doomed = make(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0, 0, 0, 0);
  timer_t silent = make(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 100, 0, 0, 0);
  timer_t ticker = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 2, TICK_VALUE, 0, 200000000, 0, 200000000);
  timer_delete(doomed);
  signal(SIGRTMIN + 4, on_aimed);
  pthread_t thread;
  pthread_create(&thread, NULL, worker, NULL);
  while (!worker_tid) usleep(1000);
  struct sigevent at_worker = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 4 };
  at_worker._sigev_un._tid = worker_tid;
  timer_t aimed;
  struct itimerspec every = { .it_value = { 0, 150000000 }, .it_interval = { 0, 150000000 } };
  if (timer_create(CLOCK_MONOTONIC, &at_worker, &aimed) != 0 || timer_settime(aimed, 0, &every, NULL) != 0) { perror("aimed timer"); _exit(2); }
  struct sigevent in_thread = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_thread_timer, .sigev_value.sival_int = 0x99 };
  timer_t threaded;
  struct itimerspec often = { .it_value = { 0, 100000000 }, .it_interval = { 0, 100000000 } };
  if (timer_create(CLOCK_MONOTONIC, &in_thread, &threaded) != 0 || timer_settime(threaded, 0, &often, NULL) != 0) { perror("SIGEV_THREAD timer"); _exit(2); }
  if (argc > 1 && !strcmp(argv[1], "thread-clock")) make(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE, 0, 0, 100, 0, 0, 0);
  struct itimerval real = { .it_value = { 30, 0 }, .it_interval = { 3, 0 } }, virt = { .it_value = { 100, 0 }, .it_interval = { 1, 0 } };
  setitimer(ITIMER_REAL, &real, NULL);
  setitimer(ITIMER_VIRTUAL, &virt, NULL);
  signal(SIGALRM, SIG_IGN);
  struct timespec armed;
  clock_gettime(CLOCK_MONOTONIC, &armed);
  armed.tv_sec += 1;
  armed.tv_nsec += 500000000;
  if (armed.tv_nsec >= NS) { armed.tv_sec++; armed.tv_nsec -= NS; }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &armed, NULL) != 0) {}  // the ticks cut sleeps short
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    expect((intptr_t)periodic == 0 && (intptr_t)silent == 2 && (intptr_t)ticker == 3, "timer ids are not 0, 2, 3");
    struct itimerspec p = times_of(periodic, "periodic"), s = times_of(silent, "silent");
    expect(ns_of(p.it_interval) == 5 * NS, "periodic timer's period is %lld ns", (long long)ns_of(p.it_interval));
    expect(ns_of(p.it_value) > 40 * NS && ns_of(p.it_value) < 49 * NS, "periodic timer has %lld ns left", (long long)ns_of(p.it_value));
    expect(ns_of(s.it_interval) == 0 && ns_of(s.it_value) > 90 * NS && ns_of(s.it_value) < 99 * NS, "silent timer has %lld ns left, period %lld",
           (long long)ns_of(s.it_value), (long long)ns_of(s.it_interval));
    struct itimerspec none;
    expect(timer_gettime(doomed, &none) != 0 || (intptr_t)doomed != 1, "the deleted timer 1 is back");
    int seen = ticks;
    expect(reaches(&ticks, seen + 2), "the 200 ms timer ticked %d times in a second", ticks - seen);
    expect(tick_value == TICK_VALUE && tick_timer == 3, "the 200 ms timer's signal carries value %#x from timer %d", tick_value, tick_timer);
    int aimed_seen = aimed_hits;
    aimed_at = 0;
    expect(reaches(&aimed_hits, aimed_seen + 2) && aimed_at == worker_tid, "the timer aimed at thread %d hit %d times, last in thread %d",
           (int)worker_tid, aimed_hits - aimed_seen, (int)aimed_at);

    int calls_seen = thread_calls;
    expect(reaches(&thread_calls, calls_seen + 2), "the SIGEV_THREAD timer's function ran %d times in a second", thread_calls - calls_seen);

    struct itimerval r, v, pr;
    getitimer(ITIMER_REAL, &r);
    getitimer(ITIMER_VIRTUAL, &v);
    getitimer(ITIMER_PROF, &pr);
    expect(us_of(r.it_interval) == 3000000 && us_of(r.it_value) > 20000000 && us_of(r.it_value) < 29000000,
           "ITIMER_REAL has %lld us left, period %lld us", (long long)us_of(r.it_value), (long long)us_of(r.it_interval));
    expect(us_of(v.it_interval) == 1000000 && us_of(v.it_value) > 99000000 && us_of(v.it_value) < 100020000,
           "ITIMER_VIRTUAL has %lld us left, period %lld us", (long long)us_of(v.it_value), (long long)us_of(v.it_interval));
    expect(us_of(pr.it_value) == 0 && us_of(pr.it_interval) == 0, "ITIMER_PROF runs");
    verdict();
  }
}
