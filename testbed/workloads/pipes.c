// A parent reading a pipe (or a FIFO) its child writes into. The child fills it with FILL bytes of
// a known pattern, and writes 1000 more on each SIGUSR1; the parent reads nothing until a SIGUSR1,
// then drains what is queued, checks every byte against the pattern, and reports the state of its
// end of the pipe:  "drained N ok total T size S nonblock 0|1 cloexec 0|1"  (or "... bad at OFFSET").
// usage: pipes [--size BYTES] [--nonblock] [--cloexec] [--fifo PATH] [--socket] FILL
//   --socket: the child also holds a socketpair with a descriptor queued in it (SCM_RIGHTS),
//   which ferry cannot dump.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t requested;
static void on_usr1(int sig) { (void)sig; requested = 1; }

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 251); }

static void say(const char *fmt, long a, long b, long c, long d, long e, long f) {
  char line[256];
  int n = snprintf(line, sizeof line, fmt, a, b, c, d, e, f);
  if (write(1, line, n) != n) _exit(3);
}

static long sent;
static void send_pattern(int fd, long n) {
  unsigned char buf[4096];
  while (n > 0) {
    long chunk = n < (long)sizeof buf ? n : (long)sizeof buf;
    for (long i = 0; i < chunk; i++) buf[i] = pattern(sent + i);
    ssize_t w = write(fd, buf, chunk);
    if (w <= 0) { say("child write failed at %ld\n", sent, 0, 0, 0, 0, 0); _exit(4); }
    sent += w;
    n -= w;
  }
}

static void child(int w, long fill, int with_socket) {
  int sv[2];
  if (with_socket && socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) _exit(5);
  if (with_socket) {
    char byte = 'r', control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &w, sizeof w);
    if (sendmsg(sv[0], &msg, 0) != 1) _exit(6);
  }
  send_pattern(w, fill);
  for (;;) {
    while (!requested) usleep(5000);
    requested = 0;
    send_pattern(w, 1000);
    say("wrote %ld\n", sent, 0, 0, 0, 0, 0);
  }
}

static long got;
static void drain(int r) {
  int queued = 0;
  ioctl(r, FIONREAD, &queued);
  unsigned char buf[4096];
  long bad = -1, n = 0;
  while (n < queued) {
    ssize_t k = read(r, buf, queued - n < (long)sizeof buf ? queued - n : (long)sizeof buf);
    if (k <= 0) break;
    for (ssize_t i = 0; i < k; i++) if (bad < 0 && buf[i] != pattern(got + i)) bad = got + i;
    got += k;
    n += k;
  }
  int nonblock = (fcntl(r, F_GETFL) & O_NONBLOCK) != 0, cloexec = (fcntl(r, F_GETFD) & FD_CLOEXEC) != 0;
  if (bad >= 0) say("drained %ld bad at %ld\n", n, bad, 0, 0, 0, 0);
  else say("drained %ld ok total %ld size %ld nonblock %ld cloexec %ld\n", n, got, fcntl(r, F_GETPIPE_SZ), nonblock, cloexec, 0);
}

int main(int argc, char **argv) {
  long size = 0, fill = -1;
  int nonblock = 0, cloexec = 0, with_socket = 0;
  const char *fifo = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size")) size = atol(argv[++i]);
    else if (!strcmp(argv[i], "--nonblock")) nonblock = 1;
    else if (!strcmp(argv[i], "--cloexec")) cloexec = 1;
    else if (!strcmp(argv[i], "--fifo")) fifo = argv[++i];
    else if (!strcmp(argv[i], "--socket")) with_socket = 1;
    else fill = atol(argv[i]);
  }
  if (fill < 0) return 2;
  signal(SIGUSR1, on_usr1);
  int p[2];
  if (fifo) {
    if (mkfifo(fifo, 0600)) return 1;
    p[0] = open(fifo, O_RDONLY | O_NONBLOCK);
    p[1] = open(fifo, O_WRONLY);
    fcntl(p[0], F_SETFL, 0);
  } else if (pipe(p)) return 1;
  if (size && fcntl(p[1], F_SETPIPE_SZ, size) < 0) return 1;
  if (nonblock) fcntl(p[0], F_SETFL, O_NONBLOCK);
  if (cloexec) fcntl(p[0], F_SETFD, FD_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1], fill, with_socket);
  }
  close(p[1]);
  for (int queued = 0; queued < fill; usleep(1000)) ioctl(p[0], FIONREAD, &queued);
  say("ready child %ld\n", pid, 0, 0, 0, 0, 0);
  for (;;) {
    while (!requested) usleep(5000);
    requested = 0;
    drain(p[0]);
  }
}
