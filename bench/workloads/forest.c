// A tree of N processes (argv[1]: the root and N-1 children) each holding MIB (argv[2]) of its
// own touched anonymous memory; the root writes its pid to DIR/ready (argv[3]) once every child
// has touched its memory, then the children pause and the root waits for them.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "ready.h"

static void touch(size_t len) {
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) _exit(1);
  for (size_t i = 0; i < len; i += 4096) memset(p + i, (int)(i >> 12) ^ getpid(), 4096);
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  keep_only_stdio();
  int n = atoi(argv[1]);
  size_t len = strtoul(argv[2], 0, 10) << 20;
  // Children report over a pipe that everyone closes before the tree is ready, so no
  // descriptor but stdio is left to dump.
  int done[2];
  if (pipe(done)) return 1;
  for (int i = 1; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      close(done[0]);
      touch(len);
      if (write(done[1], "x", 1) != 1) _exit(1);
      close(done[1]);
      for (;;) pause();
    }
  }
  close(done[1]);
  touch(len);
  char c;
  for (int i = 1; i < n; i++) if (read(done[0], &c, 1) != 1) return 1;
  close(done[0]);
  announce_ready(argv[3]);
  // A parent blocked in wait4 is what a real tree's root usually looks like while frozen.
  while (wait(NULL) > 0 || errno == EINTR) {}
  for (;;) pause();
}
