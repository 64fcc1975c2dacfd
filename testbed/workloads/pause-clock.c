// Notices being stopped: it ticks every 2 ms and remembers the last pause longer than 300 ms (a
// checkpoint restored later, elsewhere): the wall-clock time of the tick before it and how long
// it lasted. On SIGUSR1 it prints "ticks N paused-at MS for MS" (ms since the epoch; 0 if never
// paused). It writes nothing else after "ready": its output file keeps the size a dump saw.
#include "check.h"
#include <stdint.h>
#include <time.h>

static int64_t now_ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void) {
  checks_on_sigusr1();
  long long ticks = 0, paused_at = 0, paused_for = 0;
  int64_t last_mono = now_ms(CLOCK_MONOTONIC), last_wall = now_ms(CLOCK_REALTIME);
  printf("ready\n");
  for (;;) {
    struct timespec tick = { 0, 2000000 };
    nanosleep(&tick, NULL);
    int64_t mono = now_ms(CLOCK_MONOTONIC), wall = now_ms(CLOCK_REALTIME);
    if (mono - last_mono > 300) {
      paused_at = last_wall;
      paused_for = mono - last_mono;
    }
    last_mono = mono;
    last_wall = wall;
    ticks++;
    if (check_requested) {
      check_requested = 0;
      printf("ticks %lld paused-at %lld for %lld\n", ticks, paused_at, paused_for);
    }
  }
}
