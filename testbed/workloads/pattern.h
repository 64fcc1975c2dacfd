// Memory filled with a known pattern and read back: each 8-byte word a function of its index and
// a seed, so a page that comes back at the wrong place, or not at all, is told apart. Include
// after check.h (expect).
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

static inline uint64_t word(uint64_t seed, size_t i) { return (i + 1) * 0x9E3779B97F4A7C15ULL ^ seed; }

static inline void fill(uint64_t *area, size_t bytes, uint64_t seed) {
  for (size_t i = 0; i < bytes / 8; i++) area[i] = word(seed, i);
}

static inline void expect_pattern(const char *name, const uint64_t *area, size_t bytes, uint64_t seed) {
  for (size_t i = 0; i < bytes / 8; i++)
    if (area[i] != word(seed, i)) { expect(0, "%s: word %zu is %#lx", name, i, (unsigned long)area[i]); return; }
}
