// The vdso after a restore: the loop reads CLOCK_MONOTONIC through glibc (which calls the vdso at
// the address it found at startup) until SIGUSR1, so the dump most likely catches it inside the
// vdso. A check expects the vdso mapped where AT_SYSINFO_EHDR says, monotonic time never going
// back, and vdso clocks agreeing with the same clocks read by a real syscall.
#include "check.h"
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int64_t vdso_now(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return ns(t);
}

static int64_t syscall_now(clockid_t clock) {
  struct timespec t;
  syscall(SYS_clock_gettime, clock, &t);
  return ns(t);
}

static void check_vdso_mapping(void) {
  unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, maps))
    if (strstr(line, "[vdso]") && strtoul(line, NULL, 16) == ehdr) found = 1;
  fclose(maps);
  expect(found, "no [vdso] mapping at AT_SYSINFO_EHDR %#lx", ehdr);
}

static void check_clocks_agree(void) {
  static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    int64_t before = syscall_now(clocks[i]), vdso = vdso_now(clocks[i]), after = syscall_now(clocks[i]);
    expect(before <= vdso && vdso <= after, "clock %d: vdso says %ld, the kernel %ld..%ld", clocks[i], (long)vdso, (long)before, (long)after);
  }
  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t seconds = time(NULL);
  expect(seconds - tv.tv_sec <= 1 && tv.tv_sec - seconds <= 1, "time() %ld and gettimeofday %ld disagree", (long)seconds, (long)tv.tv_sec);
}

int main(void) {
  checks_on_sigusr1();
  int64_t last = vdso_now(CLOCK_MONOTONIC);
  printf("ready\n");
  for (;;) {
    while (!check_requested) {
      int64_t now = vdso_now(CLOCK_MONOTONIC);
      expect(now >= last, "monotonic time went back from %ld to %ld", (long)last, (long)now);
      last = now;
    }
    check_requested = 0;
    check_vdso_mapping();
    check_clocks_agree();
    verdict();
  }
}
