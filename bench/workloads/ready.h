// What every benchmark workload does around its real work: let go of what the caller leaked,
// and tell the benchmark when it is ready to be dumped.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

/** Only stdio stays: whatever else the caller leaked (a pipe) would make the process undumpable. */
static void keep_only_stdio(void) {
  syscall(SYS_close_range, 3, ~0U, 0);
}

/** The benchmark polls for DIR/ready; it holds our pid. */
static void announce_ready(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ready", dir);
  FILE *f = fopen(path, "w");
  if (!f) exit(1);
  fprintf(f, "%d\n", getpid());
  fclose(f);
}
