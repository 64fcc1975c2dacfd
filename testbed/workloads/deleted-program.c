// Runs from a copy of itself that the test deletes (the way an upgrade deletes a running program),
// optionally using a shared library LIB (the last argument) that the test deletes too: dlopen'd,
// its library_answer() returns 42. With --fork first, a child runs the same program and checks
// too; "child PID" names it. Says "ready" once loaded. Each SIGUSR1 checks that the bytes of its
// own code and data are those it started with, that /proc/self/exe reads "... (deleted)", and that
// the library still answers: "check ok" or what is wrong.
#define _GNU_SOURCE
#include "check.h"
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const char greeting[] = "the data of a deleted program";
static uint32_t code_sum_at_start;
static int (*library_answer)(void);

static uint32_t sum(const unsigned char *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

// The code of sum itself stands for the program's text.
static uint32_t code_sum(void) { return sum((const unsigned char *)(uintptr_t)sum, 64); }

static void check(void) {
  expect(code_sum() == code_sum_at_start, "its code changed");
  expect(strcmp(greeting, "the data of a deleted program") == 0, "its data reads %s", greeting);
  char exe[4200];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n < 0 ? 0 : n] = 0;
  size_t len = strlen(exe);
  expect(len > 10 && strcmp(exe + len - 10, " (deleted)") == 0, "/proc/self/exe reads %s", exe);
  if (library_answer) expect(library_answer() == 42, "the library answers %d", library_answer());
  verdict();
}

int main(int argc, char **argv) {
  checks_on_sigusr1();
  code_sum_at_start = code_sum();
  int with_child = argc > 1 && strcmp(argv[1], "--fork") == 0;
  if (argc > 1 + with_child) {
    void *lib = dlopen(argv[argc - 1], RTLD_NOW);
    if (!lib) { printf("dlopen: %s\n", dlerror()); return 1; }
    library_answer = (int (*)(void))dlsym(lib, "library_answer");
    if (!library_answer) return 1;
  }
  pid_t child = with_child ? fork() : 1;
  if (child < 0) return 1;
  if (child > 0 && with_child) printf("child %d\n", child);
  if (child > 0) printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check();
  }
}
