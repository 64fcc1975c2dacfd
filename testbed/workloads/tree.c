// A tree as programs make them: a child in its own process group running a second thread, a
// child with a grandchild, a zombie, and an anonymous shared area the root and a child both use.
// On SIGUSR1 the root checks that the area is still shared and the thread still runs, and
// prints "check ok" or "check failed: why".
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long *shared;   // [0] root's counter, [1] thread's counter, [2] child1's mirror of [0]
static volatile sig_atomic_t check_requested;

static void on_usr1(int sig) { (void)sig; check_requested = 1; }

static void *ticker(void *arg) {
  (void)arg;
  for (;;) { shared[1]++; usleep(10000); }
}

static void child_with_thread(void) {
  setpgid(0, 0);
  pthread_t t;
  pthread_create(&t, NULL, ticker, NULL);
  for (;;) { shared[2] = shared[0]; usleep(5000); }
}

static void child_with_grandchild(void) {
  if (fork() == 0) for (;;) pause();
  for (;;) pause();
}

static int check(void) {
  long thread_before = shared[1];
  shared[0] += 1000;
  long want = shared[0];
  for (int i = 0; i < 200; i++) {
    usleep(10000);
    if (shared[2] == want && shared[1] > thread_before + 2) return 1;
  }
  printf("check failed: mirror %ld want %ld, thread %ld -> %ld\n", shared[2], want, thread_before, shared[1]);
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t c1 = fork();
  if (c1 == 0) child_with_thread();
  pid_t c2 = fork();
  if (c2 == 0) child_with_grandchild();
  pid_t z = fork();
  if (z == 0) _exit(7);
  signal(SIGUSR1, on_usr1);
  while (shared[1] < 3) usleep(1000);
  printf("ready %d %d %d\n", c1, c2, z);
  for (;;) {
    shared[0]++;
    usleep(20000);
    if (check_requested) {
      check_requested = 0;
      if (check()) printf("check ok\n");
    }
  }
}
