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
  // Each leader reports a failed setsid/setpgid/fork by its exit status, with the reason on stderr:
  // the test's expectations start from this shape, so a setup that did not take says so.
  pid_t a = fork();
  if (a == 0) {
    if (setsid() < 0) { perror("A: setsid"); _exit(2); }
    pid_t b = fork();
    if (b < 0) { perror("A: fork"); _exit(2); }
    if (b == 0) { close(ready[0]); close(ready[1]); orphan("B"); }
    _exit(0);
  }
  pid_t c = fork();
  if (c == 0) {
    if (setpgid(0, 0) < 0) { perror("C: setpgid"); _exit(2); }
    pid_t d = fork();
    if (d < 0) { perror("C: fork"); _exit(2); }
    if (d == 0) { close(ready[0]); close(ready[1]); orphan("D"); }
    _exit(0);
  }
  close(ready[1]);
  int status_a = 0, status_c = 0;
  waitpid(a, &status_a, 0);
  waitpid(c, &status_c, 0);
  if (status_a != 0 || status_c != 0) { printf("setup failed: A %#x, C %#x\n", status_a, status_c); return 1; }
  char buf;
  read(ready[0], &buf, 1);   // EOF: both orphans have closed their copies
  close(ready[0]);
  printf("ready %d %d\n", a, c);
  for (;;) pause();
}
