// Writes pages of one mapping when told: commands come on a FIFO (op, page, thread), one reply
// byte each on another. 'w': thread T stores into page P; 'k': the kernel writes P (read(2) from
// /dev/zero); 'r': T only reads P. Prints the mapping's address to OUT first.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define THREADS 4
static char *region;
static long pages;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int todo_thread = -1, todo_page, todo_op, done;
static volatile char sink;

static void *worker(void *arg) {
  int me = (int)(long)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (todo_thread != me) pthread_cond_wait(&wake, &lock);
    if (todo_op == 'w') region[todo_page * 4096L + 100] = (char)(todo_page + 1);
    else sink = region[todo_page * 4096L + 100];
    todo_thread = -1;
    done = 1;
    pthread_cond_broadcast(&wake);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  pages = atol(argv[3]);
  region = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) return 3;
  // Half the pages are populated before tracking starts, half are never touched.
  memset(region, 1, pages * 4096 / 2);
  FILE *out = fopen(argv[4], "w");
  fprintf(out, "%lx\n", (unsigned long)region);
  fclose(out);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  int cmd = open(argv[1], O_RDONLY), reply = open(argv[2], O_WRONLY), zero = open("/dev/zero", O_RDONLY);
  int c[3];
  while (read(cmd, c, sizeof c) == sizeof c) {
    if (c[0] == 'k') {
      if (pread(zero, region + c[1] * 4096L, 64, 0) != 64) return 4;
    } else {
      pthread_mutex_lock(&lock);
      todo_op = c[0], todo_page = c[1], done = 0, todo_thread = c[2] % THREADS;
      pthread_cond_broadcast(&wake);
      while (!done) pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    if (write(reply, "", 1) != 1) return 5;
  }
  return 0;
}
