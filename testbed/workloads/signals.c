// Signal state: a SIGUSR1 handler (SA_SIGINFO | SA_ONSTACK | SA_RESTART, blocking SIGHUP while
// it runs) on an alternate stack; SIGUSR2 and a realtime signal blocked and sent to itself before
// "ready", so they are pending at the dump; SIGTERM ignored. A check (SIGUSR1) verifies the
// handler ran on the alternate stack with its mask, and takes the pending signals with their
// siginfo; then sends them again so the next check finds them too.
#include "check.h"
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#define ALTSTACK_SIZE (64 * 1024)
#define RT_SIGNAL (SIGRTMIN + 2)

static char altstack[ALTSTACK_SIZE];
static volatile sig_atomic_t handler_on_altstack, handler_saw_hup_blocked, handler_si_code;

static void on_usr1(int sig, siginfo_t *info, void *uc) {
  (void)sig; (void)uc;
  char here;
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  handler_on_altstack = &here >= altstack && &here < altstack + ALTSTACK_SIZE;
  handler_saw_hup_blocked = sigismember(&now, SIGHUP);
  handler_si_code = info->si_code;
  check_requested = 1;
}

static void send_pending_signals(void) {
  kill(getpid(), SIGUSR2);
  sigqueue(getpid(), RT_SIGNAL, (union sigval){ .sival_int = 111 });
  sigqueue(getpid(), RT_SIGNAL, (union sigval){ .sival_int = 222 });
}

static void setup(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  stack_t ss = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE };
  sigaltstack(&ss, NULL);
  struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART };
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGHUP);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGTERM, SIG_IGN);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR2);
  sigaddset(&blocked, RT_SIGNAL);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  send_pending_signals();
}

static void check_dispositions(void) {
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  int want = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  expect(sa.sa_sigaction == on_usr1 && (sa.sa_flags & want) == want, "SIGUSR1 handler %p flags %#x", (void *)sa.sa_sigaction, sa.sa_flags);
  expect(sigismember(&sa.sa_mask, SIGHUP), "SIGUSR1 handler mask lost SIGHUP");
  sigaction(SIGTERM, NULL, &sa);
  expect(sa.sa_handler == SIG_IGN, "SIGTERM is no longer ignored");
  stack_t ss;
  sigaltstack(NULL, &ss);
  expect(ss.ss_sp == altstack && ss.ss_size == ALTSTACK_SIZE && ss.ss_flags == 0, "sigaltstack is %p size %zu flags %#x", ss.ss_sp, ss.ss_size, ss.ss_flags);
  expect(handler_on_altstack, "the handler did not run on the alternate stack");
  expect(handler_saw_hup_blocked, "SIGHUP was not blocked while the handler ran");
  expect(handler_si_code == SI_USER, "the handler got si_code %d", handler_si_code);
}

/** Takes SIG if pending, returning its siginfo; si_signo is 0 if it was not pending. */
static siginfo_t take(int sig) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  siginfo_t info = { 0 };
  struct timespec now = { 0, 0 };
  if (sigtimedwait(&one, &info, &now) < 0) info.si_signo = 0;
  return info;
}

static void check_pending(void) {
  sigset_t pending;
  sigpending(&pending);
  expect(sigismember(&pending, SIGUSR2) && sigismember(&pending, RT_SIGNAL), "SIGUSR2 or the realtime signal is not pending");
  siginfo_t usr2 = take(SIGUSR2);
  expect(usr2.si_signo == SIGUSR2 && usr2.si_code == SI_USER && usr2.si_pid == getpid(), "SIGUSR2 siginfo: signo %d code %d pid %d", usr2.si_signo, usr2.si_code, usr2.si_pid);
  int values[2] = { 111, 222 };
  for (int i = 0; i < 2; i++) {
    siginfo_t rt = take(RT_SIGNAL);
    expect(rt.si_signo == RT_SIGNAL && rt.si_code == SI_QUEUE && rt.si_value.sival_int == values[i],
           "realtime signal %d: signo %d code %d value %d", i, rt.si_signo, rt.si_code, rt.si_value.sival_int);
  }
  expect(take(RT_SIGNAL).si_signo == 0, "a third realtime signal was queued");
}

int main(void) {
  setup();
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check_dispositions();
    check_pending();
    send_pending_signals();
    verdict();
  }
}
