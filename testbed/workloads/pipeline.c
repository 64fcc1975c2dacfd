// Both sides of a shell pipeline: `pipeline produce | pipeline consume`. The producer writes
// "1\n", "2\n", ... faster than the consumer reads them, so bytes are always queued between them.
// The consumer prints "got N" per line, and "gap after N: M" if a line is missing or repeated.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(argv[1], "produce")) {
    for (long i = 1;; i++) {
      printf("%ld\n", i);
      usleep(4000);
    }
  }
  setvbuf(stdin, NULL, _IONBF, 0); // every backlogged line stays in the pipe
  char line[64];
  long last = 0;
  while (fgets(line, sizeof line, stdin)) {
    long n = atol(line);
    if (n != last + 1) printf("gap after %ld: %ld\n", last, n);
    printf("got %ld\n", n);
    last = n;
    usleep(8000);
  }
  printf("consumer saw the end after %ld\n", last);
  return 0;
}
