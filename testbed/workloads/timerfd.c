// Four timerfds whose state a restore must keep: a relative monotonic interval timer (its time
// left and period), an absolute realtime one (its expiry, to the millisecond), a one-shot that
// fired and was not read (one expiration waiting), and an absolute realtime interval timer that
// started in the past (its count of expirations follows from its start). Each check asks the
// timers themselves; "ready" comes 1.5 s after they were armed, so a relative timer whose time
// left went back to its first value shows it. An epoll watches the past-started timer: it must
// wake within a period.
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define RELATIVE_FIRST (60 * NS)
#define RELATIVE_PERIOD (7 * NS)
#define PAST_PERIOD NS

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * NS + t.tv_nsec; }
static struct timespec ts_of(int64_t ns) { return (struct timespec){ ns / NS, ns % NS }; }
static int64_t now(clockid_t c) { struct timespec t; clock_gettime(c, &t); return ns_of(t); }

static int arm(clockid_t clock, int create_flags, int settime_flags, int64_t value, int64_t interval) {
  int fd = timerfd_create(clock, create_flags);
  struct itimerspec its = { .it_interval = ts_of(interval), .it_value = ts_of(value) };
  if (fd < 0 || timerfd_settime(fd, settime_flags, &its, NULL) != 0) { perror("timerfd"); _exit(2); }
  return fd;
}

static struct itimerspec times_of(int fd) { struct itimerspec its; timerfd_gettime(fd, &its); return its; }

static int readable(int fd) { struct pollfd p = { .fd = fd, .events = POLLIN }; return poll(&p, 1, 0) == 1; }

int main(void) {
  checks_on_sigusr1();
  int64_t absolute_at = now(CLOCK_REALTIME) + 100 * NS;
  int64_t past_start = now(CLOCK_REALTIME) - 3 * NS - NS / 2;
  int relative = arm(CLOCK_MONOTONIC, TFD_NONBLOCK, 0, RELATIVE_FIRST, RELATIVE_PERIOD);
  int absolute = arm(CLOCK_REALTIME, 0, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, absolute_at, 0);
  int fired = arm(CLOCK_BOOTTIME, 0, 0, 1000000, 0);
  int past = arm(CLOCK_REALTIME, TFD_NONBLOCK, TFD_TIMER_ABSTIME, past_start, PAST_PERIOD);
  int ep = epoll_create1(0);
  struct epoll_event watch = { .events = EPOLLIN, .data.u64 = 0xabc };
  epoll_ctl(ep, EPOLL_CTL_ADD, past, &watch);
  int fired_unread = 1;
  int64_t past_read = 0;
  usleep(1500000);
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    struct itimerspec r = times_of(relative);
    int64_t left = ns_of(r.it_value);
    expect(ns_of(r.it_interval) == RELATIVE_PERIOD, "relative timer's period is %lld ns", (long long)ns_of(r.it_interval));
    expect(left > 40 * NS && left < RELATIVE_FIRST - NS, "relative timer has %lld ns left", (long long)left);
    expect((fcntl(relative, F_GETFL) & O_NONBLOCK) && read(relative, &(uint64_t){0}, 8) == -1 && errno == EAGAIN,
           "relative timer is not non-blocking and unexpired");

    int64_t drift = now(CLOCK_REALTIME) + ns_of(times_of(absolute).it_value) - absolute_at;
    expect(drift > -20000000 && drift < 20000000, "absolute timer fires %lld ns away from its time", (long long)drift);
    expect(!(fcntl(absolute, F_GETFL) & O_NONBLOCK), "absolute timer became non-blocking");

    struct itimerspec f = times_of(fired);
    uint64_t count = 0;
    expect(ns_of(f.it_value) == 0 && ns_of(f.it_interval) == 0, "fired one-shot is armed again");
    if (fired_unread) {
      expect(readable(fired) && read(fired, &count, 8) == 8 && count == 1, "fired one-shot's expiration is gone (read %llu)", (unsigned long long)count);
      fired_unread = 0;
    }
    expect(!readable(fired), "fired one-shot has more expirations than it fired");

    struct epoll_event woke = { 0 };
    int n = epoll_wait(ep, &woke, 1, 1100);
    expect(n == 1 && woke.data.u64 == 0xabc, "the epoll over the past-started timer gave %d events, data %#llx", n, (unsigned long long)woke.data.u64);

    int64_t before = (now(CLOCK_REALTIME) - past_start) / PAST_PERIOD + 1;
    count = 0;
    read(past, &count, 8);
    past_read += count;
    int64_t after = (now(CLOCK_REALTIME) - past_start) / PAST_PERIOD + 1;
    expect(past_read >= before && past_read <= after, "past-started timer counted %lld expirations in all, %lld were due",
           (long long)past_read, (long long)before);
    verdict();
  }
}
