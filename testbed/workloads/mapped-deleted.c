// Maps files whose paths no longer open them, MAP_SHARED and writable: ONLY, a memfd
// ("mapped only", 3 pages, byte i 'a' + i % 26, byte 100 then set to 'X') whose descriptor is
// closed; HELD, a memfd ("held", 1 page) also open at fd 5; GHOST, the file PATH (argv[1], 2
// pages, byte 200 then set to 'Y') closed and unlinked. Says "ready". Each SIGUSR1 checks every
// byte, that a write through HELD's mapping shows through fd 5, and that /proc/self/maps still
// names the three files: "check ok" or what is wrong.
#define _GNU_SOURCE
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static char *only, *held, *ghost;
static const char *path;

static char *map_new(int fd, size_t size) {
  char *buf = malloc(size);
  for (size_t i = 0; i < size; i++) buf[i] = 'a' + i % 26;
  if (write(fd, buf, size) != (ssize_t)size) exit(1);
  free(buf);
  char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) exit(1);
  return m;
}

static void expect_pattern(const char *m, size_t size, const char *what, size_t changed, char to) {
  for (size_t i = 0; i < size; i++) {
    char want = i == changed ? to : 'a' + i % 26;
    if (m[i] != want) { expect(0, "byte %zu of %s is %d, not %c", i, what, m[i], want); return; }
  }
}

static void expect_mapped(const char *name) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4300];
  int found = 0;
  while (fgets(line, sizeof line, maps)) if (strstr(line, name)) found = 1;
  fclose(maps);
  expect(found, "%s is not in /proc/self/maps", name);
}

static void check(void) {
  expect_pattern(only, 3 * 4096, "the mapped-only memfd", 100, 'X');
  expect_pattern(held, 4096, "the held memfd", (size_t)-1, 0);
  expect_pattern(ghost, 2 * 4096, "the ghost file", 200, 'Y');
  held[7] = 'Q';
  char back = 0;
  expect(pread(5, &back, 1, 7) == 1 && back == 'Q', "a write through the held memfd's mapping does not show through fd 5");
  held[7] = 'a' + 7;
  expect_mapped("/memfd:mapped only (deleted)");
  expect_mapped("/memfd:held (deleted)");
  char deleted[4200];
  snprintf(deleted, sizeof deleted, "%s (deleted)", path);
  expect_mapped(deleted);
  verdict();
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  path = argv[1];
  checks_on_sigusr1();
  int a = memfd_create("mapped only", 0), b = memfd_create("held", 0);
  int g = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (a < 0 || b < 0 || g < 0) return 1;
  only = map_new(a, 3 * 4096);
  held = map_new(b, 4096);
  ghost = map_new(g, 2 * 4096);
  only[100] = 'X';
  ghost[200] = 'Y';
  close(a);
  close(g);
  if (dup2(b, 5) != 5) return 1;
  close(b);
  if (unlink(path)) return 1;
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check();
  }
}
