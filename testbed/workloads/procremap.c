// Holds /proc/N/mountinfo, /proc/N/status and the /proc/N directory open after N died and was
// reaped. Prints what reading them gives, once at start ("before: ...") and on each SIGUSR1
// ("after: ..."), so the test can compare the two. argv[1] (optional) tells how many
// dead children to make, each with its own files.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t report_requested;
static void on_usr1(int sig) { (void)sig; report_requested = 1; }

struct dead { pid_t pid; int mountinfo, status, dir; };

static struct dead make_dead(void) {
  int go[2];
  if (pipe(go)) exit(1);
  struct dead d;
  d.pid = fork();
  if (d.pid == 0) { char c; close(go[1]); read(go[0], &c, 1); _exit(0); }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mountinfo", d.pid);
  d.mountinfo = open(path, O_RDONLY);
  snprintf(path, sizeof path, "/proc/%d/status", d.pid);
  d.status = open(path, O_RDONLY);
  snprintf(path, sizeof path, "/proc/%d", d.pid);
  d.dir = open(path, O_RDONLY | O_DIRECTORY);
  char skip[10];
  read(d.mountinfo, skip, sizeof skip);    // a position other than 0 to carry across
  close(go[1]);
  waitpid(d.pid, NULL, 0);
  close(go[0]);
  return d;
}

static void report(const char *when, struct dead *d) {
  char buf[256];
  errno = 0;
  ssize_t status = read(d->status, buf, sizeof buf);
  int status_errno = errno;
  ssize_t mountinfo = pread(d->mountinfo, buf, 64, 10);
  int entry = openat(d->dir, "status", O_RDONLY);
  int entry_errno = errno;
  if (entry >= 0) close(entry);
  printf("%s: pid %d status=%zd/%s mountinfo=%zd pos=%ld dir-entry=%d/%s\n", when, d->pid, status, strerror(status_errno),
         mountinfo, (long)lseek(d->mountinfo, 0, SEEK_CUR), entry >= 0, entry >= 0 ? "-" : strerror(entry_errno));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int count = argc > 1 ? atoi(argv[1]) : 1;
  struct dead dead[8];
  for (int i = 0; i < count && i < 8; i++) dead[i] = make_dead();
  signal(SIGUSR1, on_usr1);
  for (int i = 0; i < count; i++) report("before", &dead[i]);
  printf("ready\n");
  for (;;) {
    usleep(2000);  // polls the flag: a signal before pause() would be lost to it
    if (report_requested) {
      report_requested = 0;
      for (int i = 0; i < count; i++) report("after", &dead[i]);
    }
  }
}
