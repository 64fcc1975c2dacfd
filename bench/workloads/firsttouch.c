// Baseline: GB/s of writing N MiB (argv[1]) of fresh anonymous memory, page faults included.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  size_t len = strtoul(argv[1], 0, 10) << 20;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < len; i += 4096) memset(p + i, 1, 4096);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%f\n", len / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9) / 1e9);
  return 0;
}
