// Holds PAIRS connected unix stream socket pairs (argv[1]) and CONNS TCP connections (argv[2]) to
// 127.0.0.1:PORT (argv[3]), QUEUED bytes (argv[4]) written into each TCP connection and left
// unread by the peer, whose own QUEUED bytes wait unread here; each unix pair holds 1 KiB each way.
// Writes its pid to DIR/ready (argv[5]) once all is connected and queued, then waits; SIGUSR1
// makes it check that every byte is still queued where it was and print "check ok" or what is off.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ready.h"

#define UNIX_QUEUED 1024

static int pairs, conns, queued;
static int (*pair_fds)[2];
static int *tcp_fds;
static volatile sig_atomic_t check_asked;

static void on_usr1(int sig) { (void)sig; check_asked = 1; }

static int queued_in(int fd) {
  int n = -1;
  ioctl(fd, FIONREAD, &n);
  return n;
}

static void fill(int fd, int bytes, unsigned char seed) {
  unsigned char buf[4096];
  for (int done = 0; done < bytes;) {
    int n = bytes - done < (int)sizeof buf ? bytes - done : (int)sizeof buf;
    for (int i = 0; i < n; i++) buf[i] = (unsigned char)(seed + done + i);
    int w = write(fd, buf, n);
    if (w <= 0) { perror("write"); exit(1); }
    done += w;
  }
}

static int wait_queued(int fd, int bytes) {
  for (int i = 0; i < 2000 && queued_in(fd) < bytes; i++) usleep(1000);
  return queued_in(fd);
}

static void check(void) {
  for (int i = 0; i < pairs; i++) {
    if (queued_in(pair_fds[i][0]) != UNIX_QUEUED || queued_in(pair_fds[i][1]) != UNIX_QUEUED) {
      printf("check failed: unix pair %d holds %d/%d bytes\n", i, queued_in(pair_fds[i][0]), queued_in(pair_fds[i][1]));
      fflush(stdout);
      return;
    }
  }
  for (int i = 0; i < conns; i++) {
    int n = queued_in(tcp_fds[i]);
    if (n != queued) { printf("check failed: connection %d holds %d bytes\n", i, n); fflush(stdout); return; }
  }
  printf("check ok\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 6) return 2;
  keep_only_stdio();
  pairs = atoi(argv[1]), conns = atoi(argv[2]), queued = atoi(argv[4]);
  int port = atoi(argv[3]);
  struct rlimit nofile = { 2 * pairs + conns + 64, 2 * pairs + conns + 64 };
  if (setrlimit(RLIMIT_NOFILE, &nofile)) { perror("setrlimit"); return 1; }
  pair_fds = calloc(pairs + 1, sizeof *pair_fds);
  tcp_fds = calloc(conns + 1, sizeof *tcp_fds);
  for (int i = 0; i < pairs; i++) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair_fds[i])) { perror("socketpair"); return 1; }
    fill(pair_fds[i][0], UNIX_QUEUED, 1);
    fill(pair_fds[i][1], UNIX_QUEUED, 2);
  }
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  for (int i = 0; i < conns; i++) {
    tcp_fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(tcp_fds[i], (struct sockaddr *)&peer, sizeof peer)) { perror("connect"); return 1; }
    fill(tcp_fds[i], queued, 3);
  }
  for (int i = 0; i < conns; i++) {
    if (wait_queued(tcp_fds[i], queued) != queued) { fprintf(stderr, "connection %d: the peer's bytes did not come\n", i); return 1; }
  }
  signal(SIGUSR1, on_usr1);
  announce_ready(argv[5]);
  for (;;) {
    pause();
    if (check_asked) { check_asked = 0; check(); }
  }
}
