// File locks of every kind, and a prober that looks at them from outside.
//
// filelocks hold DIR: in DIR, takes a flock write lock on "flock" (fd 3), a flock shared lock on
// "flock-shared" (fd 4), POSIX write locks on bytes 10-19 and a read lock from byte 100 to the end
// of "posix" (fd 5), an OFD write lock on bytes 0-4095 of "ofd" (fd 6, dup'd to fd 7), then forks
// a child that takes its own POSIX read lock on bytes 50-59 of "posix" through the inherited fd 5
// and shares the OFD description. Says "ready child PID". Each SIGUSR2 makes the parent release
// all its locks ("released"), the next takes them again without waiting ("retaken" or what
// failed), and so on.
//
// filelocks probe flock|flock-shared|posix|posix-read|ofd PATH START LEN: tries the lock without
// waiting and says "free" (taken and let go), "held by pid N" (POSIX: who owns it), "held" or
// the error.
// filelocks grab flock|posix PATH: takes a write lock (whole file) and holds it: "grabbed".
// filelocks mapped PATH: takes a flock write lock on PATH, maps it shared and closes its
// descriptor: the lock stays, held through the mapping alone. Says "ready".
// filelocks wait flock|posix PATH: waits for a write lock on the whole file (flock LOCK_EX or
// F_SETLKW): "waiting", then "locked" once it has it, and holds it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t toggles;
static void toggle(int sig) { (void)sig; toggles++; }

static int open_at(const char *dir, const char *name, int want) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0 || (want >= 0 && dup2(fd, want) != want)) { perror(path); exit(1); }
  if (want >= 0 && fd != want) close(fd);
  return want >= 0 ? want : fd;
}

static int range_lock(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  return fcntl(fd, cmd, &fl);
}

static const char *take_all(int taking) {
  if (flock(3, taking ? LOCK_EX | LOCK_NB : LOCK_UN)) return "flock on fd 3";
  if (flock(4, taking ? LOCK_SH | LOCK_NB : LOCK_UN)) return "flock on fd 4";
  if (range_lock(5, F_SETLK, taking ? F_WRLCK : F_UNLCK, 10, 10)) return "POSIX lock on bytes 10-19";
  if (range_lock(5, F_SETLK, taking ? F_RDLCK : F_UNLCK, 100, 0)) return "POSIX lock from byte 100";
  if (range_lock(6, F_OFD_SETLK, taking ? F_WRLCK : F_UNLCK, 0, 4096)) return "OFD lock on bytes 0-4095";
  return NULL;
}

static int hold(const char *dir) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  open_at(dir, "flock", 3);
  open_at(dir, "flock-shared", 4);
  open_at(dir, "posix", 5);
  open_at(dir, "ofd", 6);
  dup2(6, 7);
  const char *failed = take_all(1);
  if (failed) { printf("%s: %s\n", failed, strerror(errno)); return 1; }
  pid_t child = fork();
  if (child == 0) {
    if (range_lock(5, F_SETLK, F_RDLCK, 50, 10)) { printf("child's POSIX lock: %s\n", strerror(errno)); return 1; }
    for (;;) pause();
  }
  signal(SIGUSR2, toggle);
  printf("ready child %d\n", child);
  int seen = 0;
  for (;;) {
    while (toggles == seen) pause();
    seen++;
    failed = take_all(seen % 2 == 0);
    if (failed) printf("%s: %s\n", failed, strerror(errno));
    else printf("%s\n", seen % 2 ? "released" : "retaken");
  }
}

static int probe(const char *kind, const char *path, off_t start, off_t len) {
  int fd = open(path, O_RDWR);
  if (fd < 0) { printf("%s: %s\n", path, strerror(errno)); return 1; }
  int shared_flock = !strcmp(kind, "flock-shared");
  if (!strcmp(kind, "flock") || shared_flock) {
    if (flock(fd, (shared_flock ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0) printf("free\n");
    else printf("%s\n", errno == EWOULDBLOCK ? "held" : strerror(errno));
    return 0;
  }
  int posix = !strncmp(kind, "posix", 5);
  short type = !strcmp(kind, "posix-read") ? F_RDLCK : F_WRLCK;
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  if (fcntl(fd, posix ? F_GETLK : F_OFD_GETLK, &fl)) { printf("F_GETLK: %s\n", strerror(errno)); return 1; }
  if (fl.l_type != F_UNLCK) {
    if (posix) printf("held by pid %d\n", fl.l_pid);
    else printf("held\n");
    return 0;
  }
  if (range_lock(fd, posix ? F_SETLK : F_OFD_SETLK, type, start, len)) printf("%s\n", errno == EAGAIN || errno == EACCES ? "held" : strerror(errno));
  else printf("free\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && !strcmp(argv[1], "hold")) return hold(argv[2]);
  if (argc == 6 && !strcmp(argv[1], "probe")) return probe(argv[2], argv[3], atoll(argv[4]), atoll(argv[5]));
  if (argc == 4 && !strcmp(argv[1], "grab")) {
    int fd = open(argv[3], O_RDWR | O_CREAT, 0644);
    int failed = !strcmp(argv[2], "flock") ? flock(fd, LOCK_EX | LOCK_NB) : range_lock(fd, F_SETLK, F_WRLCK, 0, 0);
    if (failed) { printf("grab: %s\n", strerror(errno)); return 1; }
    printf("grabbed\n");
    for (;;) pause();
  }
  if (argc == 4 && !strcmp(argv[1], "wait")) {
    int fd = open(argv[3], O_RDWR | O_CREAT, 0644);
    printf("waiting\n");
    int failed = !strcmp(argv[2], "flock") ? flock(fd, LOCK_EX) : range_lock(fd, F_SETLKW, F_WRLCK, 0, 0);
    if (failed) { printf("wait: %s\n", strerror(errno)); return 1; }
    printf("locked\n");
    for (;;) pause();
  }
  if (argc == 3 && !strcmp(argv[1], "mapped")) {
    int fd = open(argv[2], O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, 4096) || flock(fd, LOCK_EX | LOCK_NB)) { printf("mapped: %s\n", strerror(errno)); return 1; }
    if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) { printf("mmap: %s\n", strerror(errno)); return 1; }
    close(fd);
    printf("ready\n");
    for (;;) pause();
  }
  fprintf(stderr, "usage: filelocks hold DIR | probe KIND PATH START LEN | grab flock|posix PATH | mapped PATH | wait flock|posix PATH\n");
  return 2;
}
