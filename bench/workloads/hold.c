// Holds N MiB (argv[1]) of touched anonymous memory; writes its pid to DIR/ready (argv[2]) and waits.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "ready.h"

int main(int argc, char **argv) {
  keep_only_stdio();
  size_t mib = strtoul(argv[1], 0, 10), len = mib << 20;
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (size_t i = 0; i < len; i += 4096) memset(p + i, (int)(i >> 12), 4096);
  announce_ready(argv[2]);
  for (;;) pause();
}
