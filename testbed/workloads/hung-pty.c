// Holds the slave of a pty whose master it closed: the terminal is hung up. On SIGUSR1 it prints
// what using it gives (read, tcgetattr, the fd's name), to compare before and after a restore.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t asked;
static void on_usr1(int s) { (void)s; asked = 1; }

static void report(int slave) {
  char buf[16], link[64] = "";
  errno = 0;
  ssize_t n = read(slave, buf, sizeof buf);
  int read_errno = errno;
  struct termios t;
  int got = tcgetattr(slave, &t);
  int attr_errno = errno;
  ssize_t l = readlink("/proc/self/fd/10", link, sizeof link - 1);
  if (l > 0) link[l] = 0;
  printf("hung read=%zd/%s tcgetattr=%d/%s fd10=%s\n", n, strerror(read_errno), got, strerror(attr_errno), link);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  unlockpt(master);
  int opened = open(ptsname(master), O_RDWR | O_NOCTTY);
  close(master);
  int slave = 10;
  dup2(opened, slave);
  close(opened);
  signal(SIGUSR1, on_usr1);
  report(slave);
  printf("ready\n");
  for (;;) {
    usleep(2000);
    if (asked) { asked = 0; report(slave); }
  }
}
