// Holds a file it unlinked: PATH (argv[1]) of SIZE bytes (argv[2], default 5000; byte i is
// 'a' + i % 26), mode 0640, open read-write at fd 5 (offset 777), dup'd at fd 7 (sharing that
// offset), and opened again read-only at fd 6 (offset 0); then PATH is unlinked. Says "ready".
// Each SIGUSR1 checks that the file is unlinked and still named after PATH, its size, mode,
// offsets and every byte, that fds 5 and 7 share one offset and that a byte written through fd 5
// shows through fd 6: "check ok" or what is wrong.
#define _GNU_SOURCE
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *path;
static long size;

static void check(void) {
  char link[4200], proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/5");
  ssize_t n = readlink(proc, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  size_t len = strlen(path), llen = strlen(link);
  expect(strncmp(link, path, len) == 0 && llen > 10 && strcmp(link + llen - 10, " (deleted)") == 0, "fd 5 is %s", link);
  struct stat a, b;
  fstat(5, &a);
  fstat(6, &b);
  expect(a.st_nlink == 0, "the file has %ld links", (long)a.st_nlink);
  expect(a.st_ino == b.st_ino, "fds 5 and 6 are on different files");
  expect(a.st_size == size, "the file is %ld bytes", (long)a.st_size);
  expect((a.st_mode & 07777) == 0640, "mode %o", a.st_mode & 07777);
  expect(lseek(5, 0, SEEK_CUR) == 777 && lseek(6, 0, SEEK_CUR) == 0, "offsets %ld and %ld", (long)lseek(5, 0, SEEK_CUR), (long)lseek(6, 0, SEEK_CUR));
  lseek(5, 800, SEEK_SET);
  expect(lseek(7, 0, SEEK_CUR) == 800, "fds 5 and 7 do not share an offset");
  lseek(5, 777, SEEK_SET);
  expect((fcntl(6, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(5, F_GETFL) & O_ACCMODE) == O_RDWR, "access modes changed");
  char *buf = malloc(size);
  expect(pread(6, buf, size, 0) == size, "short read");
  for (long i = 0; i < size; i++)
    if (buf[i] != 'a' + i % 26) { expect(0, "byte %ld is %d", i, buf[i]); break; }
  free(buf);
  char z = 'Z', back = 0, orig = 'a' + 50 % 26;
  expect(pwrite(5, &z, 1, 50) == 1 && pread(6, &back, 1, 50) == 1 && back == 'Z', "a write through fd 5 does not show through fd 6");
  pwrite(5, &orig, 1, 50);
  verdict();
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  path = argv[1];
  size = argc > 2 ? atol(argv[2]) : 5000;
  checks_on_sigusr1();
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (fd < 0) return 1;
  fchmod(fd, 0640);
  char *buf = malloc(size);
  for (long i = 0; i < size; i++) buf[i] = 'a' + i % 26;
  if (write(fd, buf, size) != size) return 1;
  free(buf);
  int reader = open(path, O_RDONLY);
  if (reader < 0 || dup2(fd, 5) != 5 || dup2(fd, 7) != 7 || dup2(reader, 6) != 6) return 1;
  close(fd);
  close(reader);
  lseek(5, 777, SEEK_SET);
  if (unlink(path)) return 1;
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    check();
  }
}
