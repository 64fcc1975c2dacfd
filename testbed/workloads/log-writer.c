// A program that logs: "line N" (N from 1) to stdout every 10 ms, each line one write(2), so that
// `log-writer >> LOG` grows LOG as a daemon's log grows. Exits if a write fails or is short.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char line[32];
  for (long n = 1;; n++) {
    int len = snprintf(line, sizeof line, "line %ld\n", n);
    if (write(1, line, len) != len) return 3;
    usleep(10000);
  }
}
