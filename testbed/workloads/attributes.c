// Per-process attributes: the working directory (argv[1]), umask 027, RLIMIT_NOFILE 123/456 and
// RLIMIT_CORE 4096/8192, comm "attrs-comm" (PR_SET_NAME) and the ADDR_NO_RANDOMIZE personality.
// Each check reads them back.
#include "check.h"
#include <limits.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const comm = "attrs-comm";
static const struct { int resource; const char *name; struct rlimit want; } limits[] = {
  { RLIMIT_NOFILE, "RLIMIT_NOFILE", { 123, 456 } },
  { RLIMIT_CORE, "RLIMIT_CORE", { 4096, 8192 } },
};
#define NLIMITS (sizeof limits / sizeof limits[0])

static void set_attributes(const char *dir) {
  if (chdir(dir)) { perror(dir); exit(1); }
  umask(027);
  for (size_t i = 0; i < NLIMITS; i++) setrlimit(limits[i].resource, &limits[i].want);
  prctl(PR_SET_NAME, comm);
  personality(ADDR_NO_RANDOMIZE);
}

static void check_attributes(const char *dir) {
  char cwd[PATH_MAX], name[16] = "";
  expect(getcwd(cwd, sizeof cwd) && !strcmp(cwd, dir), "cwd is %s, want %s", cwd, dir);
  mode_t mask = umask(027);
  expect(mask == 027, "umask is %03o", mask);
  for (size_t i = 0; i < NLIMITS; i++) {
    struct rlimit got;
    getrlimit(limits[i].resource, &got);
    expect(got.rlim_cur == limits[i].want.rlim_cur && got.rlim_max == limits[i].want.rlim_max,
           "%s is %lu/%lu", limits[i].name, (unsigned long)got.rlim_cur, (unsigned long)got.rlim_max);
  }
  prctl(PR_GET_NAME, name);
  expect(!strcmp(name, comm), "comm is %s", name);
  int persona = personality(0xffffffff);
  expect(persona == ADDR_NO_RANDOMIZE, "personality is %#x", persona);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  checks_on_sigusr1();
  set_attributes(argv[1]);
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check_attributes(argv[1]);
    verdict();
  }
}
