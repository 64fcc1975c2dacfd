// Holds /proc/N/status and the /proc/N directory of a child N that died and was reaped, and reads
// them in a tight loop from then on. Each round is timed: a round that starts after, or lasts,
// more than 100 ms (the loop was stopped: a dump's freeze, then a restore) reports itself and
// the round after it, "resumed: pid N A | B", A and B each "status=R/ERRNO dir-entry=OK/ERRNO":
// whichever instruction the process was stopped at, one of the two is its first read after it
// went on. Says "ready: pid N A" once the child is gone, A what reading its files gives then.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GAP_NS 100000000LL

struct dead { pid_t pid; int status, dir; };

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct dead make_dead(void) {
  struct dead d;
  d.pid = fork();
  if (d.pid == 0) { pause(); _exit(0); }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", d.pid);
  d.status = open(path, O_RDONLY);
  snprintf(path, sizeof path, "/proc/%d", d.pid);
  d.dir = open(path, O_RDONLY | O_DIRECTORY);
  if (d.status < 0 || d.dir < 0) exit(1);
  kill(d.pid, SIGKILL);
  waitpid(d.pid, NULL, 0);
  return d;
}

/** What reading N's files gives now, as text. */
static void probe(const struct dead *d, char *out, size_t size) {
  char buf[256];
  errno = 0;
  ssize_t status = pread(d->status, buf, sizeof buf, 0);
  int status_errno = errno;
  errno = 0;
  int entry = openat(d->dir, "status", O_RDONLY);
  int entry_errno = errno;
  if (entry >= 0) close(entry);
  snprintf(out, size, "status=%zd/%s dir-entry=%d/%s", status, status < 0 ? strerror(status_errno) : "-",
           entry >= 0, entry >= 0 ? "-" : strerror(entry_errno));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct dead d = make_dead();
  char first[160], next[160];
  probe(&d, first, sizeof first);
  printf("ready: pid %d %s\n", d.pid, first);
  long long last = now_ns();
  for (;;) {
    long long start = now_ns();
    probe(&d, first, sizeof first);
    long long end = now_ns();
    if (start - last > GAP_NS || end - start > GAP_NS) {
      probe(&d, next, sizeof next);
      printf("resumed: pid %d %s | %s\n", d.pid, first, next);
    }
    last = now_ns();
    sched_yield();
  }
}
