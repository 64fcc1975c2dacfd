// Holds memfds: DATA ("ferry test: data", sealable, 100000 bytes, byte i 'a' + i % 26, sealed
// against shrinking and growing) at fd 5 with its offset at 1234, and a second description of it
// opened read-only through /proc at fd 6 (offset 0); EMPTY ("empty", made without
// MFD_ALLOW_SEALING, so sealed with F_SEAL_SEAL, 8192 bytes of holes, mode 0600) at fd 7. Says
// "ready". Each SIGUSR1 checks names, sizes, offsets, seals, modes and every byte, and that a
// byte written through fd 5 shows through fd 6: "check ok" or what is wrong.
#define _GNU_SOURCE
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE 100000

static void expect_name(int fd, const char *name) {
  char path[64], link[256];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  char want[256];
  snprintf(want, sizeof want, "/memfd:%s (deleted)", name);
  expect(strcmp(link, want) == 0, "fd %d is %s, not %s", fd, link, want);
}

static void check(void) {
  static char buf[SIZE];
  expect_name(5, "ferry test: data");
  expect_name(6, "ferry test: data");
  expect_name(7, "empty");
  struct stat a, b, e;
  fstat(5, &a);
  fstat(6, &b);
  fstat(7, &e);
  expect(a.st_ino == b.st_ino, "fds 5 and 6 are on different files");
  expect(a.st_size == SIZE, "data is %ld bytes", (long)a.st_size);
  expect(e.st_size == 8192 && (e.st_mode & 07777) == 0600, "empty is %ld bytes, mode %o", (long)e.st_size, e.st_mode & 07777);
  expect(lseek(5, 0, SEEK_CUR) == 1234, "fd 5 is at %ld", (long)lseek(5, 0, SEEK_CUR));
  expect(lseek(6, 0, SEEK_CUR) == 0, "fd 6 is at %ld", (long)lseek(6, 0, SEEK_CUR));
  expect((fcntl(5, F_GETFL) & O_ACCMODE) == O_RDWR && (fcntl(6, F_GETFL) & O_ACCMODE) == O_RDONLY, "access modes changed");
  expect(fcntl(5, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "data has seals 0x%x", fcntl(5, F_GET_SEALS));
  expect(fcntl(7, F_GET_SEALS) == F_SEAL_SEAL, "empty has seals 0x%x", fcntl(7, F_GET_SEALS));
  expect(ftruncate(5, 10) != 0 && errno == EPERM, "data could shrink");
  expect(pread(6, buf, SIZE, 0) == SIZE, "short read of data");
  for (int i = 0; i < SIZE; i++)
    if (buf[i] != 'a' + i % 26) { expect(0, "byte %d of data is %d", i, buf[i]); break; }
  expect(pread(7, buf, 8192, 0) == 8192, "short read of empty");
  for (int i = 0; i < 8192; i++)
    if (buf[i]) { expect(0, "byte %d of empty is %d", i, buf[i]); break; }
  char z = 'Z', back = 0;
  expect(pwrite(5, &z, 1, 50) == 1 && pread(6, &back, 1, 50) == 1 && back == 'Z', "a write through fd 5 does not show through fd 6");
  char orig = 'a' + 50 % 26;
  pwrite(5, &orig, 1, 50);
  verdict();
}

int main(void) {
  checks_on_sigusr1();
  static char buf[SIZE];
  for (int i = 0; i < SIZE; i++) buf[i] = 'a' + i % 26;
  int data = memfd_create("ferry test: data", MFD_ALLOW_SEALING);
  int empty = memfd_create("empty", 0);
  if (data < 0 || empty < 0 || write(data, buf, SIZE) != SIZE || ftruncate(empty, 8192) || fchmod(empty, 0600)) return 1;
  if (fcntl(data, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) return 1;
  if (dup2(data, 5) != 5 || dup2(empty, 7) != 7) return 1;
  close(data);
  close(empty);
  lseek(5, 1234, SEEK_SET);
  int reader = open("/proc/self/fd/5", O_RDONLY);
  if (reader < 0 || dup2(reader, 6) != 6) return 1;
  close(reader);
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check();
  }
}
