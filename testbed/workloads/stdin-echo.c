// Reads nothing until SIGUSR1, then copies its stdin to stdout line by line as "got LINE", until
// stdin ends ("stdin ended"). Says "ready" first. A test can so leave bytes queued in its stdin.
#include "check.h"
#include <stdio.h>

int main(void) {
  checks_on_sigusr1();
  printf("ready\n");
  wait_for_check_request();
  char line[256];
  while (fgets(line, sizeof line, stdin)) printf("got %s", line);
  printf("stdin ended\n");
  return 0;
}
