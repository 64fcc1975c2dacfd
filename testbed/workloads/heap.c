// The heap keeps growing after a restore: malloc is told to use brk for everything, fills 2000
// blocks before "ready"; each check verifies them, then mallocs 16 MiB more in 64 KiB blocks, and
// expects the program break to have moved up and the new memory to hold what was written.
#include "check.h"
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OLD_BLOCKS 2000
#define OLD_SIZE 1000
#define NEW_BLOCKS 256
#define NEW_SIZE (64 * 1024)

static unsigned char *old_blocks[OLD_BLOCKS];

static void fill(unsigned char *p, size_t n, unsigned seed) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 7 + seed); }

static int holds(const unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) if (p[i] != (unsigned char)(i * 7 + seed)) return 0;
  return 1;
}

static void grow(void) {
  char *brk_before = sbrk(0);
  unsigned char *blocks[NEW_BLOCKS];
  for (int i = 0; i < NEW_BLOCKS; i++) {
    blocks[i] = malloc(NEW_SIZE);
    expect(blocks[i] != NULL, "malloc failed");
    if (!blocks[i]) return;
    fill(blocks[i], NEW_SIZE, i + 5);
  }
  char *brk_after = sbrk(0);
  expect(brk_after >= brk_before + NEW_BLOCKS * NEW_SIZE, "the break moved from %p to %p only", brk_before, brk_after);
  expect((char *)syscall(SYS_brk, 0) == brk_after, "brk(0) disagrees with sbrk(0)");
  unsigned char *last = blocks[NEW_BLOCKS - 1];
  expect((char *)last >= brk_before && (char *)last + NEW_SIZE <= brk_after, "the last block %p is not in the grown heap", last);
  for (int i = 0; i < NEW_BLOCKS; i++) expect(holds(blocks[i], NEW_SIZE, i + 5), "new block %d lost its bytes", i);
  for (int i = NEW_BLOCKS - 1; i >= 0; i--) free(blocks[i]);
  malloc_trim(0);  // give the memory back so the next check grows the break again
}

int main(void) {
  checks_on_sigusr1();
  mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  for (int i = 0; i < OLD_BLOCKS; i++) fill(old_blocks[i] = malloc(OLD_SIZE), OLD_SIZE, i);
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    for (int i = 0; i < OLD_BLOCKS; i++) expect(holds(old_blocks[i], OLD_SIZE, i), "old block %d lost its bytes", i);
    grow();
    verdict();
  }
}
