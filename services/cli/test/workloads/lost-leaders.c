// A root (child subreaper) inherits two orphans whose leaders died: B, in session and group A,
// made by A's setsid before A exited; and D, in group C of the root's session, made by C's
// setpgid before C exited. Each orphan prints "<name> got SIGUSR1" when its group is signalled.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *name = "root";
static void on_usr1(int sig) { (void)sig; printf("%s got SIGUSR1\n", name); }

static void orphan(const char *as) {
  name = as;
  for (;;) pause();
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGUSR1, on_usr1);
  int ready[2];
  pipe(ready);
  pid_t a = fork();
  if (a == 0) {
    setsid();
    pid_t b = fork();
    if (b == 0) { close(ready[0]); close(ready[1]); orphan("B"); }
    _exit(0);
  }
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    pid_t d = fork();
    if (d == 0) { close(ready[0]); close(ready[1]); orphan("D"); }
    _exit(0);
  }
  close(ready[1]);
  waitpid(a, NULL, 0);
  waitpid(c, NULL, 0);
  char buf;
  read(ready[0], &buf, 1);   // EOF: both orphans have closed their copies
  close(ready[0]);
  printf("ready %d %d\n", a, c);
  for (;;) pause();
}
