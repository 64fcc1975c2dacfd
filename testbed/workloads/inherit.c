// A parent and the child whose output it collects. The child writes "tick N" lines (N from 1, one
// every 10 ms) to its stdout, and holds SIDE open at fd 7 (and as stderr). With --file PATH its stdout is PATH;
// otherwise it is a pipe the parent reads, copying each line to its own stdout as "parent N".
// The parent prints "ready child PID" once the child ticks, and "parent saw eof" if the pipe ends.
// usage: inherit --side SIDE [--file PATH]
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void child(int out, const char *side) {
  int fd = open(side, O_WRONLY | O_CREAT | O_APPEND, 0644);
  // stderr too: the parent goes on writing to the file they shared, and the child's must not change.
  if (fd < 0 || dup2(fd, 7) != 7 || dup2(fd, 2) != 2) _exit(5);
  close(fd);
  dup2(out, 1);
  close(out);
  char line[64];
  for (long i = 1;; i++) {
    int n = snprintf(line, sizeof line, "tick %ld\n", i);
    if (write(1, line, n) != n) _exit(6);
    usleep(10000);
  }
}

int main(int argc, char **argv) {
  const char *side = NULL, *file = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--side")) side = argv[i + 1];
    else if (!strcmp(argv[i], "--file")) file = argv[i + 1];
  }
  if (!side) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGCHLD, SIG_IGN); // a child ended by `ferry dump` goes away at once
  int p[2] = {-1, -1};
  int out = file ? open(file, O_WRONLY | O_CREAT | O_APPEND, 0644) : (pipe(p) ? -1 : p[1]);
  if (out < 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    if (p[0] >= 0) close(p[0]);
    child(out, side);
  }
  close(out);
  printf("ready child %d\n", pid);
  if (p[0] < 0) for (;;) pause();
  FILE *in = fdopen(p[0], "r");
  char line[64];
  while (fgets(line, sizeof line, in)) printf("parent %s", line + 5);
  printf("parent saw eof\n");
  for (;;) pause();
}
