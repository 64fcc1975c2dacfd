// A tree of N processes (argv[1]: the root and N-1 children), each holding a few pages written
// with a pattern of its own; the root writes its pid to DIR/ready (argv[2]) once all are forked
// and have written theirs. SIGUSR1 to the root asks the whole tree to check itself: the root
// passes it on to every child, and each task that finds its pid, its parent (for the root: any)
// and its pages as they were answers "ok I" (I: 0 for the root, 1..N-1 for the children in fork
// order), else "failed I: what". The benchmark counts N distinct "ok" lines: a restore that lost a task, or
// brought one back wrong, does not pass.
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "ready.h"
#include "answer.h"

#define PAGES 4

static int index_in_tree, tasks;
static pid_t own_pid, parent_pid;
static pid_t *children;
static unsigned char *pages;

static unsigned char pattern(int page) { return (unsigned char)(index_in_tree * 31 + page + 1); }

static void write_pages(void) {
  pages = mmap(0, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) _exit(1);
  for (int p = 0; p < PAGES; p++) memset(pages + p * 4096, pattern(p), 4096);
}

static const char *what_is_off(void) {
  if (getpid() != own_pid) return ": another pid";
  // The root's parent is whoever restored it: only the children's must be the same.
  if (index_in_tree > 0 && getppid() != parent_pid) return ": another parent";
  for (int i = 0; i < PAGES * 4096; i++) if (pages[i] != pattern(i / 4096)) return ": its pages changed";
  return 0;
}

static void on_check(int sig) {
  (void)sig;
  if (index_in_tree == 0) for (int i = 1; i < tasks; i++) kill(children[i], SIGUSR1);
  const char *off = what_is_off();
  if (off) answer("failed ", index_in_tree, off);
  else answer("ok ", index_in_tree, "");
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  keep_only_stdio();
  tasks = atoi(argv[1]);
  children = calloc(tasks, sizeof *children);
  own_pid = getpid();
  parent_pid = getppid();
  signal(SIGUSR1, on_check);
  // The children report over a pipe that all close before the tree is ready, so that no
  // descriptor but stdio is left to dump.
  int done[2];
  if (pipe(done)) return 1;
  for (int i = 1; i < tasks; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      index_in_tree = i;
      parent_pid = own_pid;
      own_pid = getpid();
      close(done[0]);
      write_pages();
      if (write(done[1], "x", 1) != 1) _exit(1);
      close(done[1]);
      for (;;) pause();
    }
    children[i] = pid;
  }
  close(done[1]);
  write_pages();
  char c;
  for (int i = 1; i < tasks; i++) if (read(done[0], &c, 1) != 1) return 1;
  close(done[0]);
  announce_ready(argv[2]);
  for (;;) pause();
}
