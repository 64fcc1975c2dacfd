// A memory-heavy pair for migration tests: argv[1] MiB (256 by default) of private anonymous
// memory, each 8-byte word a known function of its index, and 16 MiB of MAP_SHARED memory that
// the process shares with a child it forked. Prints "ready child=PID private=MIB" once filled.
// On SIGUSR1 the parent reads every word of both areas back, writes a fresh token into the shared
// area and has the child (SIGUSR2) copy it next to it, which only works if the area is still one
// between them; then it prints "check ok" or "check failed: ...".
#include "check.h"
#include "pattern.h"
#include <unistd.h>

#define MIB (1024UL * 1024)
#define SHARED_SIZE (16 * MIB)

static void *map(size_t bytes, int flags) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

static volatile sig_atomic_t copy_requested;
static void request_copy(int sig) { (void)sig; copy_requested = 1; }

/** The child: on each SIGUSR2 copies the word the parent left at the end of the area next to it. */
static void child(volatile uint64_t *mailbox) {
  for (;;) {
    usleep(1000);
    if (copy_requested) { copy_requested = 0; mailbox[1] = mailbox[0]; }
  }
}

int main(int argc, char **argv) {
  size_t private_size = (argc > 1 ? strtoul(argv[1], NULL, 10) : 256) * MIB;
  checks_on_sigusr1();
  signal(SIGUSR2, request_copy);
  uint64_t *private_area = map(private_size, MAP_PRIVATE);
  uint64_t *shared = map(SHARED_SIZE, MAP_SHARED);
  // Two words past the pattern, for the token and the child's copy of it.
  volatile uint64_t *mailbox = shared + SHARED_SIZE / 8 - 2;
  fill(shared, SHARED_SIZE - 16, 2);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) child(mailbox);
  fill(private_area, private_size, 1);
  printf("ready child=%d private=%zu\n", pid, private_size / MIB);
  for (uint64_t round = 1;; round++) {
    wait_for_check_request();
    expect_pattern("private", private_area, private_size, 1);
    expect_pattern("shared", shared, SHARED_SIZE - 16, 2);
    uint64_t token = round * 0x5DEECE66DULL + (uint64_t)getpid();
    mailbox[0] = token;
    kill(pid, SIGUSR2);
    for (int waited = 0; mailbox[1] != token && waited < 3000; waited++) usleep(1000);
    expect(mailbox[1] == token, "shared: the child did not see token %#lx (it has %#lx)", (unsigned long)token, (unsigned long)mailbox[1]);
    verdict();
  }
}
