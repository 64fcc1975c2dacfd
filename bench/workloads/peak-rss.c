// peak-rss FILE CMD ARGS...: runs CMD, writes its peak resident memory in KiB to FILE and exits as
// CMD did. That peak is ru_maxrss from wait4: CMD's own or that of a child it waited for, not of
// one it left running (a detached restore's tree). node's spawnSync reports no rusage, and
// /usr/bin/time is not on every machine.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status;
  struct rusage used;
  if (wait4(pid, &status, 0, &used) != pid) return 2;
  FILE *out = fopen(argv[1], "w");
  if (!out || fprintf(out, "%ld\n", used.ru_maxrss) < 0 || fclose(out)) return 2;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
