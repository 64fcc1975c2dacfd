// One process running N threads (argv[1], the main thread included); writes its pid to
// DIR/ready (argv[2]) once every thread runs, then they all pause.
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "ready.h"

static pthread_barrier_t started;

static void *idle(void *arg) {
  (void)arg;
  pthread_barrier_wait(&started);
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  keep_only_stdio();
  int n = atoi(argv[1]);
  pthread_barrier_init(&started, NULL, n);
  for (int i = 1; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL)) return 1;
  }
  pthread_barrier_wait(&started);
  announce_ready(argv[2]);
  for (;;) pause();
}
