// A parent and child share a file mapping (MAP_SHARED) and one open file description of a log
// (one offset). On SIGUSR1 the parent logs "parent N", stores N in the mapping and signals the
// child, which logs "child saw N" from the mapping: after restore the log goes on in order,
// with nothing overwritten, only if both are still shared.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t poked;
static void on_usr1(int sig) { (void)sig; poked = 1; }

static void logline(int fd, const char *fmt, int n) {
  char line[64];
  int len = snprintf(line, sizeof line, fmt, n);
  write(fd, line, len);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  int map_fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  ftruncate(map_fd, 4096);
  volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  close(map_fd);
  int log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  signal(SIGUSR1, on_usr1);
  pid_t child = fork();
  if (child == 0) {
    for (;;) {
      usleep(2000);
      if (poked) { poked = 0; logline(log, "child saw %d\n", *shared); }
    }
  }
  printf("ready %d\n", child);
  int n = 0;
  for (;;) {
    usleep(2000);  // polls the flag: a signal before pause() would be lost to it
    if (!poked) continue;
    poked = 0;
    n++;
    logline(log, "parent %d\n", n);
    *shared = n;
    kill(child, SIGUSR1);
  }
}
