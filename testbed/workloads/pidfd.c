// Holds pidfds: CHILD on its child (fd 5, and a dup of it at fd 6 sharing it), SELF on itself
// (fd 7, non-blocking, not close-on-exec); the child holds one on its parent (fd 8). Says
// "ready child PID" once they all exist. Each SIGUSR1 checks that they
// refer to the same processes as before (fdinfo's Pid), that they work (a signal 0 through each,
// the child not yet ended as poll on its pidfd says) and keep their flags: "check ok" or what is
// wrong. SIGUSR2 ends the child through its pidfd and waits for it through the dup, then says
// "reaped child PID through its pidfd".
#define _GNU_SOURCE
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile sig_atomic_t end_requested;
static void request_end(int sig) { (void)sig; end_requested = 1; }

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig) { return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

static long fdinfo_pid(int fd) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  FILE *f = fopen(path, "r");
  if (!f) return -100;
  long pid = -100;
  while (fgets(line, sizeof line, f)) if (sscanf(line, "Pid: %ld", &pid) == 1) break;
  fclose(f);
  return pid;
}

static void check(pid_t child) {
  expect(fdinfo_pid(5) == child, "fd 5 refers to pid %ld, not to the child %d", fdinfo_pid(5), child);
  expect(fdinfo_pid(6) == child, "fd 6 refers to pid %ld, not to the child %d", fdinfo_pid(6), child);
  expect(fdinfo_pid(7) == getpid(), "fd 7 refers to pid %ld, not to itself", fdinfo_pid(7));
  expect(pidfd_send_signal(5, 0) == 0, "signal 0 through fd 5: %s", strerror(errno));
  expect(pidfd_send_signal(7, 0) == 0, "signal 0 through fd 7: %s", strerror(errno));
  struct pollfd p = { .fd = 5, .events = POLLIN };
  expect(poll(&p, 1, 0) == 0, "the child's pidfd says it ended");
  expect((fcntl(7, F_GETFL) & O_NONBLOCK) != 0, "fd 7 lost O_NONBLOCK");
  expect(fcntl(7, F_GETFD) == 0, "fd 7 became close-on-exec");
  expect(fcntl(5, F_GETFD) == FD_CLOEXEC, "fd 5 lost close-on-exec");
  expect(fcntl(6, F_GETFD) == 0, "fd 6 became close-on-exec");
  expect((fcntl(5, F_GETFL) & O_NONBLOCK) == 0, "fd 5 became non-blocking");
  verdict();
}

int main(void) {
  checks_on_sigusr1();
  signal(SIGUSR2, request_end);
  pid_t child = fork();
  if (child == 0) {
    int parent = pidfd_open(getppid(), 0);
    if (parent < 0 || dup2(parent, 8) != 8) _exit(1);
    close(parent);
    for (;;) pause();
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/8", child);
  while (access(path, F_OK) != 0) usleep(1000);
  int a = pidfd_open(child, 0), b = pidfd_open(getpid(), O_NONBLOCK);
  if (a < 0 || b < 0 || dup2(a, 5) != 5 || dup2(a, 6) != 6 || dup2(b, 7) != 7) return 1;
  close(a);
  close(b);
  fcntl(5, F_SETFD, FD_CLOEXEC);
  fcntl(7, F_SETFD, 0);
  printf("ready child %d\n", child);
  for (;;) {
    usleep(2000); // polls the flags: a signal before a pause() would be lost to it
    if (check_requested) {
      check_requested = 0;
      check(child);
    }
    if (end_requested) {
      end_requested = 0;
      siginfo_t info = { 0 };
      if (pidfd_send_signal(5, SIGKILL) != 0) printf("kill through the pidfd: %s\n", strerror(errno));
      else if (waitid(P_PIDFD, 6, &info, WEXITED) != 0) printf("waitid on the pidfd: %s\n", strerror(errno));
      else printf("reaped child %d through its pidfd\n", info.si_pid);
    }
  }
}
