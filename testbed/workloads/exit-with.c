// Exits with the status given as argv[1] when SIGUSR1 asks it to: the restored process's end is
// what `ferry restore` (without -d) must report as its own exit status.
#include "check.h"
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  checks_on_sigusr1();
  printf("ready\n");
  wait_for_check_request();
  return atoi(argv[1]);
}
