// Memory as programs hold it: a 64 MiB private area and a MAP_SHARED area full of known patterns,
// an area never touched (it must read zeros, and cost nothing in the image), a sparse one with
// every 16th page written, a read-only one, and a hidden one (written, then PROT_NONE: a dumper
// that reads only what the task may read misses it). Prints "ready" with the areas' addresses.
// A check reads every pattern back, proves the shared area is still shared with a forked child
// and that the private area is still writable.
#include "check.h"
#include "pattern.h"
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024UL * 1024)
#define PAGE 4096UL
#define PRIVATE_SIZE (64 * MIB)
#define SHARED_SIZE (4 * MIB)
#define UNTOUCHED_SIZE (16 * MIB)
#define SPARSE_SIZE (16 * MIB)
#define READONLY_SIZE (1 * MIB)
#define HIDDEN_SIZE (2 * MIB)

/** Each area ends with a PROT_NONE guard page, which also keeps it from merging with its neighbours. */
static void *map(size_t bytes, int flags) {
  char *p = mmap(NULL, bytes + PAGE, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  mprotect(p + bytes, PAGE, PROT_NONE);
  return p;
}

static int sparse_page_written(size_t page) { return page % 16 == 0; }

static void check_sparse(const unsigned char *area) {
  for (size_t page = 0; page < SPARSE_SIZE / PAGE; page++)
    for (size_t b = 0; b < PAGE; b++) {
      unsigned char want = sparse_page_written(page) ? (unsigned char)(page + b) : 0;
      if (area[page * PAGE + b] != want) { expect(0, "sparse: page %zu byte %zu is %u", page, b, area[page * PAGE + b]); return; }
    }
}

static void check_zero(const char *name, const unsigned char *area, size_t bytes) {
  for (size_t i = 0; i < bytes; i++)
    if (area[i]) { expect(0, "%s: byte %zu is %u", name, i, area[i]); return; }
}

/** A child writes into the shared area; the parent must see it. */
static void check_still_shared(uint64_t *shared) {
  uint64_t saved = shared[0];
  pid_t child = fork();
  if (child == 0) { shared[0] = 0xC0FFEE; _exit(0); }
  waitpid(child, NULL, 0);
  expect(shared[0] == 0xC0FFEE, "shared: a child's write is not seen (%#lx)", (unsigned long)shared[0]);
  shared[0] = saved;
}

int main(void) {
  checks_on_sigusr1();
  uint64_t *private_area = map(PRIVATE_SIZE, MAP_PRIVATE);
  uint64_t *shared = map(SHARED_SIZE, MAP_SHARED);
  unsigned char *untouched = map(UNTOUCHED_SIZE, MAP_PRIVATE);
  unsigned char *sparse = map(SPARSE_SIZE, MAP_PRIVATE);
  uint64_t *readonly = map(READONLY_SIZE, MAP_PRIVATE);
  uint64_t *hidden = map(HIDDEN_SIZE, MAP_PRIVATE);
  fill(private_area, PRIVATE_SIZE, 1);
  fill(shared, SHARED_SIZE, 2);
  fill(readonly, READONLY_SIZE, 3);
  mprotect(readonly, READONLY_SIZE, PROT_READ);
  fill(hidden, HIDDEN_SIZE, 4);
  mprotect(hidden, HIDDEN_SIZE, PROT_NONE);
  madvise(sparse, SPARSE_SIZE, MADV_NOHUGEPAGE);  // a huge page would fill the holes
  for (size_t page = 0; page < SPARSE_SIZE / PAGE; page += 16)
    for (size_t b = 0; b < PAGE; b++) sparse[page * PAGE + b] = (unsigned char)(page + b);
  printf("ready private=%p shared=%p untouched=%p sparse=%p readonly=%p hidden=%p\n",
         (void *)private_area, (void *)shared, (void *)untouched, (void *)sparse, (void *)readonly, (void *)hidden);
  for (uint64_t round = 0;; round++) {
    wait_for_check_request();
    expect_pattern("private", private_area, PRIVATE_SIZE, 1);
    expect_pattern("shared", shared, SHARED_SIZE, 2);
    expect_pattern("readonly", readonly, READONLY_SIZE, 3);
    mprotect(hidden, HIDDEN_SIZE, PROT_READ);
    expect_pattern("hidden", hidden, HIDDEN_SIZE, 4);
    mprotect(hidden, HIDDEN_SIZE, PROT_NONE);
    check_zero("untouched", untouched, UNTOUCHED_SIZE);
    check_sparse(sparse);
    check_still_shared(shared);
    volatile uint64_t *poke = &private_area[PRIVATE_SIZE / 16];
    *poke ^= round + 1;  // still writable: a fault would kill us before the verdict
    *poke ^= round + 1;
    verdict();
  }
}
