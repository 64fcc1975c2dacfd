// Starts `sleep 1000` with exactly the pid given, through /proc/sys/kernel/ns_last_pid, retrying
// while other processes of the machine take the pid first. Prints the pid once it is taken.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int want = atoi(argv[1]);
  for (int attempt = 0; attempt < 1000; attempt++) {
    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
    if (fd < 0) { perror("ns_last_pid"); return 1; }
    dprintf(fd, "%d", want - 1);
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
      if (getpid() != want) _exit(0);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0); dup2(null, 1); dup2(null, 2);
      for (int i = 3; i < 1024; i++) close(i);
      execlp("sleep", "sleep", "1000", (char *)NULL);
      _exit(127);
    }
    if (pid == want) { printf("%d\n", pid); return 0; }
    waitpid(pid, NULL, 0);
  }
  fprintf(stderr, "take-pid: pid %d stays taken\n", want);
  return 1;
}
