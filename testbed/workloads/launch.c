// Starts a workload the way a user's shell would leave it: detached from the test runner
// (an orphan that init reaps), holding no descriptor but stdio, optionally in its own session.
// usage: launch [-s] [-i FILE] [-o FILE] -- PROGRAM ARGS...   prints the workload's pid.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static void redirect(const char *path, int target, int flags) {
  int fd = open(path, flags, 0644);
  if (fd < 0) { perror(path); _exit(127); }
  dup2(fd, target);
  close(fd);
}

int main(int argc, char **argv) {
  int new_session = 0;
  const char *in = "/dev/null", *out = "/dev/null";
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (!strcmp(argv[i], "-s")) new_session = 1;
    else if (!strcmp(argv[i], "-i")) in = argv[++i];
    else if (!strcmp(argv[i], "-o")) out = argv[++i];
  }
  if (i + 1 >= argc) { fprintf(stderr, "launch: no program\n"); return 2; }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC)) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    close(ready[0]);
    if (new_session) setsid();
    redirect(in, 0, O_RDONLY);
    redirect(out, 1, O_WRONLY | O_CREAT | O_APPEND);
    dup2(1, 2);
    for (int fd = 3; fd < 1024; fd++) if (fd != ready[1]) close(fd);
    execvp(argv[i + 1], argv + i + 1);
    perror(argv[i + 1]);
    _exit(127);
  }
  close(ready[1]);
  char c;
  // EOF on the cloexec pipe means exec happened (or the child died).
  if (read(ready[0], &c, 1) != 0) return 1;
  printf("%d\n", pid);
  return 0;
}
