// Two signalfds: a non-blocking one reading SIGUSR2 and SIGRTMIN+3, and a blocking one reading
// SIGHUP, all three blocked. A SIGRTMIN+3 carrying 42 is queued before "ready" and left unread.
// Each check reads that signal (first check only), then sends each signal again and sees it come
// out of the right signalfd only, with its value, and nothing more.
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int readable(int fd) { struct pollfd p = { .fd = fd, .events = POLLIN }; return poll(&p, 1, 0) == 1; }

static int signal_from(int fd, int *value) {
  struct signalfd_siginfo si;
  if (read(fd, &si, sizeof si) != sizeof si) return -1;
  *value = si.ssi_int;
  return (int)si.ssi_signo;
}

int main(void) {
  checks_on_sigusr1();
  sigset_t pair, hup, both;
  sigemptyset(&pair);
  sigaddset(&pair, SIGUSR2);
  sigaddset(&pair, SIGRTMIN + 3);
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigorset(&both, &pair, &hup);
  sigprocmask(SIG_BLOCK, &both, NULL);
  int quick = signalfd(-1, &pair, SFD_NONBLOCK);
  int slow = signalfd(-1, &hup, 0);
  sigqueue(getpid(), SIGRTMIN + 3, (union sigval){ .sival_int = 42 });
  int queued_unread = 1;
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    int value = 0, got;
    if (queued_unread) {
      got = signal_from(quick, &value);
      expect(got == SIGRTMIN + 3 && value == 42, "the signal queued before the dump read as %d with %d", got, value);
      queued_unread = 0;
    }
    expect(fcntl(quick, F_GETFL) & O_NONBLOCK, "the quick signalfd became blocking");
    expect(!(fcntl(slow, F_GETFL) & O_NONBLOCK), "the slow signalfd became non-blocking");
    expect(read(quick, &(struct signalfd_siginfo){0}, sizeof(struct signalfd_siginfo)) == -1 && errno == EAGAIN, "the quick signalfd has something to read");

    raise(SIGHUP);
    expect(!readable(quick), "SIGHUP shows on the signalfd of SIGUSR2 and SIGRTMIN+3");
    got = readable(slow) ? signal_from(slow, &value) : 0;
    expect(got == SIGHUP, "SIGHUP read from its signalfd as %d", got);

    raise(SIGUSR2);
    sigqueue(getpid(), SIGRTMIN + 3, (union sigval){ .sival_int = 7 });
    expect(!readable(slow), "SIGUSR2 or SIGRTMIN+3 shows on the signalfd of SIGHUP");
    got = signal_from(quick, &value);
    expect(got == SIGUSR2, "SIGUSR2 read as %d", got);
    got = signal_from(quick, &value);
    expect(got == SIGRTMIN + 3 && value == 7, "SIGRTMIN+3 read as %d with %d", got, value);
    verdict();
  }
}
