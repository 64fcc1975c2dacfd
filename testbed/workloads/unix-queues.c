// Unix sockets of every type with messages queued both ways, options and shutdowns set, bound to
// a path (argv[1]/dgram.sock), to an abstract name and unbound. On SIGUSR1 it checks that
// everything is as it left it: bytes, datagram boundaries and senders, flags, buffer sizes,
// SO_PASSCRED, shutdown ends, who made each pair (SO_PEERCRED), and that the sockets still work.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "check.h"

static int pair_of(int type, int sv[2]) { return socketpair(AF_UNIX, type, 0, sv); }

static socklen_t address(struct sockaddr_un *a, const char *path, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (abstract) { strcpy(a->sun_path + 1, path); return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path); }
  strcpy(a->sun_path, path);
  return sizeof *a;
}

static void expect_read(int fd, const char *want, size_t len, const char *what) {
  char buf[70000];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  expect(n == (ssize_t)len && memcmp(buf, want, len) == 0, "%s: read %zd bytes, expected %zu (\"%.20s\")", what, n, len, want);
}

static void expect_empty(int fd, const char *what) {
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  expect(n == -1 && errno == EAGAIN, "%s: expected nothing more queued, got %zd (errno %d)", what, n, errno);
}

static void expect_peer_pid(int fd, pid_t pid, const char *what) {
  struct ucred cr; socklen_t len = sizeof cr;
  getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
  expect(cr.pid == pid, "%s: SO_PEERCRED pid is %d, expected %d", what, cr.pid, pid);
}

static char big[65536];

int main(int argc, char **argv) {
  checks_on_sigusr1();
  if (argc < 2) return 2;
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7 + 3);
  int st[2], dg[2], sq[2], sh[2];
  pair_of(SOCK_STREAM, st); pair_of(SOCK_DGRAM, dg); pair_of(SOCK_SEQPACKET, sq); pair_of(SOCK_STREAM, sh);
  send(st[0], big, sizeof big, 0);              // 64 KiB queued one way
  send(st[1], "back the other way", 18, 0);
  send(dg[0], "one", 3, 0); send(dg[0], "", 0, 0); send(dg[0], big, 5000, 0);
  send(dg[1], "reply", 5, 0);
  send(sq[0], "rec-1", 5, 0); send(sq[0], "record-two", 10, 0);
  send(sq[1], "sq-back", 7, 0);
  send(sh[0], "last words", 10, 0);
  shutdown(sh[0], SHUT_WR);
  fcntl(st[1], F_SETFL, O_NONBLOCK);
  int rcv = 300000, one = 1;
  setsockopt(st[0], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  setsockopt(dg[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  int rcv_got; socklen_t l = sizeof rcv_got;
  getsockopt(st[0], SOL_SOCKET, SO_RCVBUF, &rcv_got, &l);

  // A path-bound datagram receiver, and datagrams from an abstract-bound sender and an unbound one.
  char path[200];
  snprintf(path, sizeof path, "%s/dgram.sock", argv[1]);
  struct sockaddr_un ra, sa, got;
  socklen_t ralen = address(&ra, path, 0), salen;
  char abstract_name[64];
  snprintf(abstract_name, sizeof abstract_name, "ferry-unix-queues-%d", getpid());
  salen = address(&sa, abstract_name, 1);
  int receiver = socket(AF_UNIX, SOCK_DGRAM, 0), named = socket(AF_UNIX, SOCK_DGRAM, 0), anon = socket(AF_UNIX, SOCK_DGRAM, 0);
  unlink(path);
  if (bind(receiver, (struct sockaddr *)&ra, ralen) || bind(named, (struct sockaddr *)&sa, salen)) { perror("bind"); return 1; }
  sendto(named, "from-named", 10, 0, (struct sockaddr *)&ra, ralen);
  sendto(anon, "from-anon", 9, 0, (struct sockaddr *)&ra, ralen);
  sendto(named, "named-again", 11, 0, (struct sockaddr *)&ra, ralen);
  // A datagram socket connected to the receiver, and a stream whose peer wrote and closed.
  int linked = socket(AF_UNIX, SOCK_DGRAM, 0), orphan[2];
  if (connect(linked, (struct sockaddr *)&ra, ralen)) { perror("connect"); return 1; }
  pair_of(SOCK_STREAM, orphan);
  send(orphan[1], "written before close", 20, 0);
  close(orphan[1]);
  printf("ready\n");
  wait_for_check_request();

  expect_read(st[1], big, sizeof big, "stream pair, end 1");
  expect_empty(st[1], "stream pair, end 1");
  expect_read(st[0], "back the other way", 18, "stream pair, end 0");
  expect(fcntl(st[1], F_GETFL) & O_NONBLOCK, "stream pair end 1 lost O_NONBLOCK");
  expect(!(fcntl(st[0], F_GETFL) & O_NONBLOCK), "stream pair end 0 became non-blocking");
  int rcv_now; l = sizeof rcv_now;
  getsockopt(st[0], SOL_SOCKET, SO_RCVBUF, &rcv_now, &l);
  expect(rcv_now == rcv_got, "SO_RCVBUF is %d, was %d", rcv_now, rcv_got);
  int pc = 0; l = sizeof pc;
  getsockopt(dg[1], SOL_SOCKET, SO_PASSCRED, &pc, &l);
  expect(pc == 1, "SO_PASSCRED is off");
  expect_read(dg[1], "one", 3, "datagram 1");
  expect_read(dg[1], "", 0, "datagram 2 (empty)");
  expect_read(dg[1], big, 5000, "datagram 3");
  expect_empty(dg[1], "datagram pair, end 1");
  expect_read(dg[0], "reply", 5, "datagram pair, end 0");
  expect_read(sq[1], "rec-1", 5, "seqpacket record 1");
  expect_read(sq[1], "record-two", 10, "seqpacket record 2");
  expect_read(sq[0], "sq-back", 7, "seqpacket pair, end 0");
  expect_read(sh[1], "last words", 10, "shut-down stream");
  char c;
  expect(recv(sh[1], &c, 1, MSG_DONTWAIT) == 0, "the stream shut for writing does not read as ended");
  expect(send(sh[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "the end shut for writing can still send");
  expect(send(sh[1], "y", 1, MSG_NOSIGNAL) == 1, "the other end of a half-shut stream cannot send");
  expect_read(sh[0], "y", 1, "reply on a half-shut stream");
  const char *senders[] = { "from-named", "from-anon", "named-again" };
  for (int i = 0; i < 3; i++) {
    char buf[64]; socklen_t glen = sizeof got;
    memset(&got, 0, sizeof got);
    ssize_t n = recvfrom(receiver, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&got, &glen);
    expect(n == (ssize_t)strlen(senders[i]) && memcmp(buf, senders[i], n) == 0, "bound receiver: datagram %d is %zd bytes", i, n);
    int from_named = i != 1;
    if (from_named) expect(glen == salen && memcmp(&got, &sa, salen) == 0, "datagram %d: its sender address did not come back", i);
    else expect(glen <= sizeof(sa_family_t), "datagram %d came from an unbound socket, now from one of %u bytes", i, glen);
  }
  expect(send(linked, "linked", 6, 0) == 6, "the connected datagram socket cannot send (errno %d)", errno);
  expect_read(receiver, "linked", 6, "datagram on a connection made before the dump");
  expect_read(orphan[0], "written before close", 20, "stream whose peer closed");
  expect(recv(orphan[0], &c, 1, MSG_DONTWAIT) == 0, "the stream whose peer closed does not read as ended");
  struct sockaddr_un name; socklen_t nlen = sizeof name;
  getsockname(receiver, (struct sockaddr *)&name, &nlen);
  expect(strcmp(name.sun_path, path) == 0, "receiver is bound to %s, not %s", name.sun_path, path);
  struct stat after;
  expect(stat(path, &after) == 0 && S_ISSOCK(after.st_mode), "%s is no socket file", path);
  expect(sendto(anon, "new", 3, 0, (struct sockaddr *)&ra, ralen) == 3, "cannot send to the path-bound socket after restore");
  expect_read(receiver, "new", 3, "datagram sent after restore");
  expect(send(st[1], "more", 4, 0) == 4, "stream pair cannot send");
  expect_read(st[0], "more", 4, "stream sent after restore");
  expect_peer_pid(st[0], getpid(), "stream pair");
  expect_peer_pid(sq[1], getpid(), "seqpacket pair");
  verdict();
  for (;;) pause();
}
