// Holds N MiB (argv[1]) of touched anonymous memory; writes its pid to DIR/ready (argv[2]) and waits.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#define _GNU_SOURCE
#include <linux/close_range.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
  // Only stdio: whatever else the caller leaked (a pipe) would make the process undumpable.
  syscall(SYS_close_range, 3, ~0U, 0);
  size_t mib = strtoul(argv[1], 0, 10), len = mib << 20;
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (size_t i = 0; i < len; i += 4096) memset(p + i, (int)(i >> 12), 4096);
  char path[4096];
  snprintf(path, sizeof path, "%s/ready", argv[2]);
  FILE *f = fopen(path, "w");
  fprintf(f, "%d\n", getpid());
  fclose(f);
  for (;;) pause();
}
