// What the self-checking workloads share: SIGUSR1 asks for a check, and the verdict is one line
// on stdout, "check ok" or "check failed: <the first thing found wrong>".
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t check_requested;
static char first_failure[512];

static inline void request_check(int sig) { (void)sig; check_requested = 1; }

static inline void expect(int ok, const char *fmt, ...) {
  if (ok || first_failure[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(first_failure, sizeof first_failure, fmt, ap);
  va_end(ap);
}

static inline void verdict(void) {
  if (first_failure[0]) printf("check failed: %s\n", first_failure);
  else printf("check ok\n");
  first_failure[0] = 0;
}

/** Line-buffered output (it goes to a file) and the SIGUSR1 handler. */
static inline void checks_on_sigusr1(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa = { .sa_handler = request_check };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
}

/** Sleeps in sigsuspend until a check is asked for; SIGUSR1 is blocked outside it so no request is lost. */
static inline void wait_for_check_request(void) {
  sigset_t usr1, old, waiting;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old);
  waiting = old;
  sigdelset(&waiting, SIGUSR1);
  while (!check_requested) sigsuspend(&waiting);
  check_requested = 0;
  sigprocmask(SIG_SETMASK, &old, NULL);
}
