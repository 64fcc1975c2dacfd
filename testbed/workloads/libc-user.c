// A dynamically linked program going back into libc and the dynamic loader after a restore: each
// check formats and parses numbers, sorts, reads the time zone file, asks who it is, and loads
// libm with dlopen to call cos() through dlsym.
#include "check.h"
#include <dlfcn.h>
#include <pwd.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void use_libc(pid_t pid_at_start) {
  char text[64];
  snprintf(text, sizeof text, "%d:%.3f:%s", 42, 2.5, "x");
  expect(!strcmp(text, "42:2.500:x"), "snprintf gave %s", text);
  expect(strtod("1e3", NULL) == 1000.0, "strtod is wrong");
  int values[] = { 5, 3, 9, 1, 7 };
  qsort(values, 5, sizeof values[0], by_value);
  expect(values[0] == 1 && values[4] == 9, "qsort did not sort");
  time_t now = time(NULL);
  struct tm tm;
  expect(localtime_r(&now, &tm) && tm.tm_year > 100, "localtime_r failed");
  struct passwd *me = getpwuid(getuid());
  expect(me && me->pw_uid == getuid(), "getpwuid failed");
  expect(getpid() == pid_at_start, "getpid is %d, was %d", getpid(), pid_at_start);
  char *copy = strdup(text);
  expect(copy && !strcmp(copy, text), "strdup failed");
  free(copy);
}

static void use_dlopen(void) {
  void *libm = dlopen("libm.so.6", RTLD_NOW);
  expect(libm != NULL, "dlopen libm: %s", dlerror());
  if (!libm) return;
  double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
  expect(cosine && cosine(0.0) == 1.0, "cos from libm is missing or wrong");
  dlclose(libm);
}

int main(void) {
  checks_on_sigusr1();
  pid_t pid = getpid();
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    use_libc(pid);
    use_dlopen();
    verdict();
  }
}
