// An epoll watching two eventfds: a semaphore one holding 5 and an empty non-blocking one, with
// user data the program relies on. On SIGUSR1 it checks that the watch list, the data, the
// counters and the modes are as they were, and that it can still modify its watches by fd number.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DATA_FULL 0xfeedface12345678ull
#define DATA_EMPTY 0x0123456789abcdefull

static volatile sig_atomic_t check_requested;
static void on_usr1(int sig) { (void)sig; check_requested = 1; }

static int check(int ep, int full, int empty) {
  struct epoll_event ev[4];
  int n = epoll_wait(ep, ev, 4, 0);
  if (n != 1 || ev[0].data.u64 != DATA_FULL) { printf("check failed: epoll_wait gave %d events, data %llx\n", n, n > 0 ? (unsigned long long)ev[0].data.u64 : 0ull); return 0; }
  uint64_t v = 0;
  for (int i = 0; i < 5; i++) {
    if (read(full, &v, 8) != 8 || v != 1) { printf("check failed: semaphore read %d gave %llu\n", i, (unsigned long long)v); return 0; }
  }
  if (read(empty, &v, 8) != -1 || errno != EAGAIN) { printf("check failed: empty eventfd is not non-blocking and empty\n"); return 0; }
  struct epoll_event mod = { .events = EPOLLIN, .data.u64 = 7 };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, empty, &mod) != 0) { perror("check failed: epoll_ctl MOD"); return 0; }
  uint64_t one = 1;
  write(empty, &one, 8);
  n = epoll_wait(ep, ev, 4, 0);
  if (n != 1 || ev[0].data.u64 != 7) { printf("check failed: after MOD epoll_wait gave %d\n", n); return 0; }
  return 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int full = eventfd(5, EFD_SEMAPHORE);
  int empty = eventfd(0, EFD_NONBLOCK);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event a = { .events = EPOLLIN, .data.u64 = DATA_FULL };
  struct epoll_event b = { .events = EPOLLIN | EPOLLET, .data.u64 = DATA_EMPTY };
  epoll_ctl(ep, EPOLL_CTL_ADD, full, &a);
  epoll_ctl(ep, EPOLL_CTL_ADD, empty, &b);
  signal(SIGUSR1, on_usr1);
  printf("ready\n");
  for (;;) {
    usleep(2000);  // polls the flag: a signal before pause() would be lost to it
    if (check_requested) {
      check_requested = 0;
      if (check(ep, full, empty)) printf("check ok\n");
    }
  }
}
