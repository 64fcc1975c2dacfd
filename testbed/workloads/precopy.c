// A workload for pre-copy: argv[1] MiB of private memory that argv[2] threads keep rewriting, a
// page at a time, at argv[3] pages a second in all; each page holds a pattern of its index and a
// version the writer bumps, and the versions live in the process's memory too. Three more areas
// change shape on SIGUSR2: B is unmapped and mapped again at its address with other contents
// (half of it untouched), C is moved by mremap, E loses its first half to MADV_DONTNEED.
// Prints "ready" when filled, "reshaped" after SIGUSR2; on SIGUSR1 checks every area and prints
// "check ok" or "check failed: ...", then "writes N", the page writes made so far: a memory
// rolled back whole to an older state passes its own check, and only this count tells.
#include "check.h"
#include "pattern.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024)
#define PAGE 4096UL
#define SIDE (4 * MIB)

static uint64_t *area;
static uint32_t *versions;
static size_t pages;
static long threads, rate;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t *b, *c, *e;
static volatile sig_atomic_t reshape_requested;
static int reshaped;

static void request_reshape(int sig) { (void)sig; reshape_requested = 1; }

static uint64_t page_seed(size_t page) { return ((uint64_t)page << 32) | versions[page]; }

static void write_page(size_t page) {
  uint64_t *p = area + page * PAGE / 8;
  uint64_t seed = page_seed(page);
  for (size_t i = 0; i < PAGE / 8; i++) p[i] = word(seed, i);
}

static void *writer(void *arg) {
  long me = (long)arg;
  struct timespec gap = { 0, (long)(1e9 / ((double)rate / threads)) };
  for (size_t page = me;; page = (page + threads) % pages) {
    pthread_rwlock_rdlock(&lock);
    versions[page]++;
    write_page(page);
    pthread_rwlock_unlock(&lock);
    nanosleep(&gap, NULL);
  }
  return NULL;
}

static void *map(void *at, size_t bytes, int prot) {
  void *p = mmap(at, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

static void expect_zero(const char *name, const uint64_t *p, size_t bytes) {
  for (size_t i = 0; i < bytes / 8; i++)
    if (p[i]) { expect(0, "%s: word %zu is %#lx, not 0", name, i, (unsigned long)p[i]); return; }
}

/** The pattern of SEED in words [FROM, TO) of P, counted from P's start as fill() counts them. */
static void expect_words(const char *name, const uint64_t *p, size_t from, size_t to, uint64_t seed) {
  for (size_t i = from; i < to; i++)
    if (p[i] != word(seed, i)) { expect(0, "%s: word %zu is %#lx", name, i, (unsigned long)p[i]); return; }
}

static void reshape(void) {
  // B: a new mapping at the same address, only its first half written.
  munmap(b, SIDE);
  map(b, SIDE, PROT_READ | PROT_WRITE);
  fill(b, SIDE / 2, 7);
  // C: moved to an address reserved for it.
  void *to = map(NULL, SIDE, PROT_NONE);
  c = mremap(c, SIDE, SIDE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (c == MAP_FAILED) { perror("mremap"); exit(1); }
  madvise(e, SIDE / 2, MADV_DONTNEED);
  reshaped = 1;
  printf("reshaped\n");
}

int main(int argc, char **argv) {
  size_t bytes = (argc > 1 ? strtoul(argv[1], NULL, 10) : 32) * MIB;
  threads = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
  rate = argc > 3 ? strtol(argv[3], NULL, 10) : 200;
  checks_on_sigusr1();
  signal(SIGUSR2, request_reshape);
  pages = bytes / PAGE;
  area = map(NULL, bytes, PROT_READ | PROT_WRITE);
  versions = calloc(pages, sizeof *versions);
  for (size_t p = 0; p < pages; p++) write_page(p);
  b = map(NULL, SIDE, PROT_READ | PROT_WRITE);
  fill(b, SIDE, 3);
  c = map(NULL, SIDE, PROT_READ | PROT_WRITE);
  fill(c, SIDE, 5);
  e = map(NULL, SIDE, PROT_READ | PROT_WRITE);
  fill(e, SIDE, 9);
  pthread_t t;
  for (long i = 0; i < threads; i++) pthread_create(&t, NULL, writer, (void *)i);
  printf("ready\n");
  sigset_t usr, old;
  sigemptyset(&usr);
  sigaddset(&usr, SIGUSR1);
  sigaddset(&usr, SIGUSR2);
  for (;;) {
    sigprocmask(SIG_BLOCK, &usr, &old);
    while (!check_requested && !reshape_requested) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (reshape_requested) { reshape_requested = 0; reshape(); }
    if (!check_requested) continue;
    check_requested = 0;
    pthread_rwlock_wrlock(&lock);
    unsigned long writes = 0;
    for (size_t p = 0; p < pages; p++) writes += versions[p];
    for (size_t p = 0; p < pages && !first_failure[0]; p++) {
      uint64_t seed = page_seed(p);
      const uint64_t *q = area + p * PAGE / 8;
      for (size_t i = 0; i < PAGE / 8; i++)
        if (q[i] != word(seed, i)) { expect(0, "page %zu (version %u): word %zu is %#lx", p, versions[p], i, (unsigned long)q[i]); break; }
    }
    pthread_rwlock_unlock(&lock);
    if (reshaped) {
      expect_pattern("B", b, SIDE / 2, 7);
      expect_zero("B's untouched half", b + SIDE / 16, SIDE / 2);
      expect_zero("E's dropped half", e, SIDE / 2);
    } else {
      expect_pattern("B", b, SIDE, 3);
      expect_pattern("E's first half", e, SIDE / 2, 9);
    }
    expect_pattern("C", c, SIDE, 5);
    expect_words("E's second half", e, SIDE / 16, SIDE / 8, 9);
    verdict();
    printf("writes %lu\n", writes);
  }
}
