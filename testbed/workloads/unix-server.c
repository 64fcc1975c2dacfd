// A server on a unix stream socket at argv[1] (a path, or @NAME for an abstract name; backlog 4) with three clients it forked: one
// accepted, with bytes queued both ways ("early" to the server, "welcome" to the client), and two
// still waiting in the accept queue. On SIGUSR1 it reads the queued bytes, accepts the waiting
// two, greets all three and checks what they answer (each checks its own queue and that its peer
// is the server, SO_PEERCRED); then it serves one more client, connected after restore, with
// "served\n".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "check.h"

static struct sockaddr_un addr;
static socklen_t addr_len = sizeof addr;

static pid_t peer_pid(int fd) {
  struct ucred cr; socklen_t len = sizeof cr;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) return -1;
  return cr.pid;
}

static int connect_to_server(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&addr, addr_len)) { perror("connect"); _exit(1); }
  return fd;
}

static void answer(int fd, const char *expected_first) {
  char buf[64] = {0}, reply[128];
  size_t want = strlen(expected_first);
  ssize_t n = recv(fd, buf, want, MSG_WAITALL);
  if (n != (ssize_t)want || memcmp(buf, expected_first, want)) snprintf(reply, sizeof reply, "bad: pid %d read \"%.*s\", not \"%s\"", getpid(), (int)(n > 0 ? n : 0), buf, expected_first);
  else if (peer_pid(fd) != getppid()) snprintf(reply, sizeof reply, "bad: pid %d sees peer pid %d, not the server %d", getpid(), peer_pid(fd), getppid());
  else snprintf(reply, sizeof reply, "ok");
  send(fd, reply, strlen(reply) + 1, 0);
  pause();
}

/** A client that waits in the accept queue until the server greets it. */
static pid_t waiting_client(int report) {
  pid_t pid = fork();
  if (pid == 0) { int fd = connect_to_server(); write(report, "c", 1); answer(fd, "hello"); }
  return pid;
}

static void expect_answer(int fd, pid_t who) {
  char buf[128] = {0};
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll(&p, 1, 5000) != 1) { expect(0, "client %d did not answer", who); return; }
  recv(fd, buf, sizeof buf - 1, 0);
  expect(strcmp(buf, "ok") == 0, "client %d answered %s", who, buf);
}

int main(int argc, char **argv) {
  checks_on_sigusr1();
  if (argc < 2) return 2;
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  if (argv[1][0] == '@') {
    addr.sun_path[0] = 0;
    addr_len = offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]);
  } else {
    unlink(argv[1]);
  }
  int listener = socket(AF_UNIX, SOCK_STREAM, 0), report[2], go[2];
  if (bind(listener, (struct sockaddr *)&addr, addr_len) || listen(listener, 4)) { perror("listen"); return 1; }
  pipe(report); pipe(go);
  pid_t early = fork();
  if (early == 0) {
    int fd = connect_to_server();
    send(fd, "early", 5, 0);
    write(report[1], "c", 1);
    char c;
    read(go[0], &c, 1);
    answer(fd, "welcomehello");
  }
  int accepted = accept(listener, NULL, NULL);
  send(accepted, "welcome", 7, 0);
  char c;
  read(report[0], &c, 1);
  // One after the other, so that the accept queue holds them in this order.
  pid_t waiting[2];
  for (int i = 0; i < 2; i++) { waiting[i] = waiting_client(report[1]); read(report[0], &c, 1); }
  printf("ready %d %d %d\n", early, waiting[0], waiting[1]);
  wait_for_check_request();

  char buf[16] = {0};
  expect(recv(accepted, buf, sizeof buf, MSG_DONTWAIT) == 5 && memcmp(buf, "early", 5) == 0, "the accepted connection did not hold \"early\" (got \"%s\")", buf);
  expect(peer_pid(accepted) == early, "the accepted connection's peer is pid %d, not %d", peer_pid(accepted), early);
  fcntl(listener, F_SETFL, O_NONBLOCK);
  int conns[2];
  for (int i = 0; i < 2; i++) {
    conns[i] = accept(listener, NULL, NULL);
    expect(conns[i] >= 0, "waiting connection %d could not be accepted (errno %d)", i, errno);
    if (conns[i] < 0) continue;
    expect(peer_pid(conns[i]) == waiting[i], "waiting connection %d is from pid %d, not %d", i, peer_pid(conns[i]), waiting[i]);
    send(conns[i], "hello", 5, 0);
  }
  expect(accept(listener, NULL, NULL) < 0 && errno == EAGAIN, "more connections waited than were made");
  write(go[1], "g", 1);
  send(accepted, "hello", 5, 0);
  expect_answer(accepted, early);
  for (int i = 0; i < 2; i++) if (conns[i] >= 0) expect_answer(conns[i], waiting[i]);
  verdict();
  fcntl(listener, F_SETFL, 0);
  int late = accept(listener, NULL, NULL);
  send(late, "served\n", 7, 0);
  close(late);
  for (;;) pause();
}
