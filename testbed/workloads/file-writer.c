// Files at their offsets: FILE (argv[1]) is opened for writing and 1000 bytes are written, a dup
// of that descriptor (close-on-exec) shares its offset, and a separate read-only open has read
// 100 bytes. Each check verifies offsets and flags, appends 500 bytes through the first fd and 100
// through the dup, and reads the next 100 through the reader. Byte i of FILE is 'a' + i % 26.
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static off_t written;

static void write_on(int fd, size_t n) {
  char buf[1000];
  for (size_t i = 0; i < n; i++) buf[i] = 'a' + (written + i) % 26;
  expect(write(fd, buf, n) == (ssize_t)n, "short write");
  written += n;
}

static void read_on(int fd, off_t at, size_t n) {
  char buf[100];
  expect(read(fd, buf, n) == (ssize_t)n, "short read");
  for (size_t i = 0; i < n; i++)
    if (buf[i] != 'a' + (at + i) % 26) { expect(0, "byte %ld read as %c", (long)(at + i), buf[i]); return; }
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  checks_on_sigusr1();
  int writer = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write_on(writer, 1000);
  int dup_writer = fcntl(writer, F_DUPFD_CLOEXEC, 10);
  int reader = open(argv[1], O_RDONLY);
  read_on(reader, 0, 100);
  off_t read_so_far = 100;
  printf("ready fds %d %d %d\n", writer, dup_writer, reader);
  for (;;) {
    wait_for_check_request();
    expect(lseek(writer, 0, SEEK_CUR) == written, "writer offset %ld, want %ld", (long)lseek(writer, 0, SEEK_CUR), (long)written);
    expect(lseek(reader, 0, SEEK_CUR) == read_so_far, "reader offset %ld, want %ld", (long)lseek(reader, 0, SEEK_CUR), (long)read_so_far);
    expect((fcntl(writer, F_GETFL) & O_ACCMODE) == O_WRONLY && (fcntl(reader, F_GETFL) & O_ACCMODE) == O_RDONLY, "access modes changed");
    expect(fcntl(dup_writer, F_GETFD) == FD_CLOEXEC && fcntl(writer, F_GETFD) == 0, "close-on-exec flags changed");
    write_on(writer, 500);
    write_on(dup_writer, 100);
    expect(lseek(writer, 0, SEEK_CUR) == written, "the dup does not share the offset any more");
    struct stat st;
    fstat(writer, &st);
    expect(st.st_size == written, "file size %ld, want %ld", (long)st.st_size, (long)written);
    read_on(reader, read_so_far, 100);
    read_so_far += 100;
    verdict();
  }
}
