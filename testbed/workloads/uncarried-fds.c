// Holds one descriptor of a kind ferry cannot carry, named by argv[1]: io_uring (io_uring_setup),
// userfaultfd or perf_event (a software clock counter on itself). Says "ready fd N", then
// "tick N" every 10 ms, so a test sees it run on.
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_kind(const char *kind) {
  if (!strcmp(kind, "io_uring")) {
    unsigned char params[120] = { 0 }; // struct io_uring_params, all defaults
    return syscall(SYS_io_uring_setup, 4, params);
  }
  if (!strcmp(kind, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
  if (!strcmp(kind, "perf_event")) {
    struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1 };
    return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  }
  return -1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int fd = argc > 1 ? open_kind(argv[1]) : -1;
  if (fd < 0) { perror(argc > 1 ? argv[1] : "usage: uncarried-fds KIND"); return 1; }
  printf("ready fd %d\n", fd);
  for (long n = 1;; n++) {
    printf("tick %ld\n", n);
    usleep(10000);
  }
}
