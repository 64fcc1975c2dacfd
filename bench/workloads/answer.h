// How a workload answers the benchmark's check from inside a signal handler: one line, one
// write(2), onto stdout, which the benchmark opens O_APPEND so that the lines of many tasks do
// not mix. printf is not async-signal-safe, hence the digits by hand.
#include <string.h>
#include <unistd.h>

/** Writes PREFIX, the decimal N and SUFFIX as one line. */
static void answer(const char *prefix, long n, const char *suffix) {
  char line[256], digits[24];
  int len = 0, d = 0;
  unsigned long u = n < 0 ? -(unsigned long)n : (unsigned long)n;
  do digits[d++] = (char)('0' + u % 10); while ((u /= 10) && d < (int)sizeof digits);
  if (n < 0) digits[d++] = '-';
  for (const char *s = prefix; *s && len < 100; s++) line[len++] = *s;
  while (d) line[len++] = digits[--d];
  for (const char *s = suffix; *s && len < 254; s++) line[len++] = *s;
  line[len++] = '\n';
  if (write(1, line, len) != len) _exit(3);
}
