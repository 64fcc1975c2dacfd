// A small network server with every kind of inet socket ferry carries:
//   usage: inet-server TCP4_PORT TCP6_PORT UDP_PORT UDP_PEER_PORT
// - a TCP listener on 127.0.0.1:TCP4_PORT (SO_REUSEADDR, backlog 5, non-blocking);
// - a TCP listener on [::]:TCP6_PORT (IPV6_V6ONLY, SO_REUSEPORT, backlog 7);
// - a UDP socket bound to 127.0.0.1:UDP_PORT, and one connected to 127.0.0.1:UDP_PEER_PORT.
// Every line a TCP client sends is answered "<n> <line>", n counting lines over all clients, so a
// restored server goes on counting. "big N" is answered with N pattern bytes then "end\n"; "hold"
// makes the server stop reading that client until a datagram "release" comes, and a datagram
// "hold-accept" makes it stop accepting on the IPv4 listener until then. A TCP line "mute" makes
// it stop reading datagrams until the line "unmute". Each datagram
// to UDP_PORT is answered "<n> <datagram>" to its sender and copied, "seen <datagram>", through
// the connected socket. On SIGUSR1 it checks its sockets' options, addresses and modes.
#include "check.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 16

struct client {
  int fd;
  int held;
  char line[4096];
  size_t have;
  char *out;     // bytes still to write
  size_t out_len, out_off;
};

static struct client clients[MAX_CLIENTS];
static int tcp4, tcp6, udp, udp_peer;
static int tcp4_port, tcp6_port, udp_port, udp_peer_port;
static long served;
static int accepting = 1, muted;

static int must(int r, const char *what) {
  if (r < 0) { perror(what); exit(1); }
  return r;
}

static int listener4(int port) {
  int fd = must(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), "socket");
  int one = 1;
  must(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), "SO_REUSEADDR");
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  must(bind(fd, (struct sockaddr *)&a, sizeof a), "bind tcp4");
  must(listen(fd, 5), "listen tcp4");
  return fd;
}

static int listener6(int port) {
  int fd = must(socket(AF_INET6, SOCK_STREAM, 0), "socket");
  int one = 1;
  must(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), "IPV6_V6ONLY");
  must(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), "SO_REUSEPORT");
  struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any };
  must(bind(fd, (struct sockaddr *)&a, sizeof a), "bind tcp6");
  must(listen(fd, 7), "listen tcp6");
  return fd;
}

static int datagrams(int port, int peer_port) {
  int fd = must(socket(AF_INET, SOCK_DGRAM, 0), "socket");
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (port) must(bind(fd, (struct sockaddr *)&a, sizeof a), "bind udp");
  if (peer_port) {
    a.sin_port = htons(peer_port);
    must(connect(fd, (struct sockaddr *)&a, sizeof a), "connect udp");
  }
  return fd;
}

static int opt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  getsockopt(fd, level, name, &v, &len);
  return v;
}

static int local_port(int fd) {
  struct sockaddr_in6 a;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  return ntohs(a.sin6_port);
}

static void check(void) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  expect(opt(tcp4, SOL_SOCKET, SO_ACCEPTCONN) == 1, "the IPv4 listener does not listen");
  expect(opt(tcp4, SOL_SOCKET, SO_REUSEADDR) == 1, "the IPv4 listener lost SO_REUSEADDR");
  expect(fcntl(tcp4, F_GETFL) & O_NONBLOCK, "the IPv4 listener is no longer non-blocking");
  expect(local_port(tcp4) == tcp4_port, "the IPv4 listener is on port %d", local_port(tcp4));
  expect(opt(tcp6, SOL_SOCKET, SO_ACCEPTCONN) == 1, "the IPv6 listener does not listen");
  expect(opt(tcp6, SOL_SOCKET, SO_REUSEPORT) == 1, "the IPv6 listener lost SO_REUSEPORT");
  expect(opt(tcp6, IPPROTO_IPV6, IPV6_V6ONLY) == 1, "the IPv6 listener lost IPV6_V6ONLY");
  expect(!(fcntl(tcp6, F_GETFL) & O_NONBLOCK), "the IPv6 listener became non-blocking");
  expect(getsockopt(tcp6, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_sacked == 7, "the IPv6 listener's backlog is %u", ti.tcpi_sacked);
  expect(opt(udp, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM && local_port(udp) == udp_port, "the UDP socket is not bound to %d", udp_port);
  struct sockaddr_in peer;
  len = sizeof peer;
  expect(getpeername(udp_peer, (struct sockaddr *)&peer, &len) == 0 && ntohs(peer.sin_port) == udp_peer_port, "the connected UDP socket lost its peer");
  verdict();
}

static void queue_out(struct client *c, const char *data, size_t n) {
  c->out = realloc(c->out, c->out_len + n);
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
}

static void answer(struct client *c, const char *line) {
  char reply[4200];
  long n = ++served;
  long big = 0;
  if (sscanf(line, "big %ld", &big) == 1 && big > 0) {
    char *data = malloc(big);
    for (long i = 0; i < big; i++) data[i] = 'a' + (i * 7 + i / 4096) % 26;
    queue_out(c, data, big);
    free(data);
    queue_out(c, "end\n", 4);
    return;
  }
  if (strcmp(line, "hold") == 0) c->held = 1;
  if (strcmp(line, "mute") == 0) muted = 1;
  if (strcmp(line, "unmute") == 0) muted = 0;
  queue_out(c, reply, snprintf(reply, sizeof reply, "%ld %s\n", n, line));
}

static void drop(struct client *c) {
  close(c->fd);
  free(c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

static void read_client(struct client *c) {
  ssize_t n = read(c->fd, c->line + c->have, sizeof c->line - 1 - c->have);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return;
    drop(c);
    return;
  }
  c->have += n;
  char *nl;
  while (!c->held && (nl = memchr(c->line, '\n', c->have))) {
    *nl = 0;
    answer(c, c->line);
    size_t used = nl + 1 - c->line;
    memmove(c->line, nl + 1, c->have - used);
    c->have -= used;
  }
}

static void write_client(struct client *c) {
  ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
  if (n < 0) return;
  c->out_off += n;
  if (c->out_off == c->out_len) {
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
  }
}

static void accept_on(int listener) {
  int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].fd >= 0) continue;
    clients[i].fd = fd;
    return;
  }
  close(fd);
}

static void on_datagram(void) {
  char buf[2048], reply[2100];
  struct sockaddr_in from;
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(udp, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &len);
  if (n < 0) return;
  buf[n] = 0;
  if (strcmp(buf, "hold-accept") == 0) accepting = 0;
  if (strcmp(buf, "release") == 0) {
    accepting = 1;
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd < 0 || !clients[i].held) continue;
      clients[i].held = 0;
      read_client(&clients[i]);
    }
  }
  int r = snprintf(reply, sizeof reply, "%ld %s", ++served, buf);
  sendto(udp, reply, r, 0, (struct sockaddr *)&from, len);
  r = snprintf(reply, sizeof reply, "seen %s", buf);
  send(udp_peer, reply, r, 0);
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: inet-server TCP4_PORT TCP6_PORT UDP_PORT UDP_PEER_PORT\n"); return 2; }
  checks_on_sigusr1();
  tcp4_port = atoi(argv[1]), tcp6_port = atoi(argv[2]), udp_port = atoi(argv[3]), udp_peer_port = atoi(argv[4]);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  tcp4 = listener4(tcp4_port);
  tcp6 = listener6(tcp6_port);
  udp = datagrams(udp_port, 0);
  udp_peer = datagrams(0, udp_peer_port);
  // SIGUSR1 only interrupts the wait, so no request comes between the check and the wait.
  sigset_t usr1, waiting;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &waiting);
  sigdelset(&waiting, SIGUSR1);
  printf("ready\n");
  for (;;) {
    struct pollfd p[3 + MAX_CLIENTS];
    p[0] = (struct pollfd){ .fd = tcp4, .events = accepting ? POLLIN : 0 };
    p[1] = (struct pollfd){ .fd = tcp6, .events = POLLIN };
    p[2] = (struct pollfd){ .fd = udp, .events = muted ? 0 : POLLIN };
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &clients[i];
      short ev = (c->held ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0);
      p[3 + i] = (struct pollfd){ .fd = c->fd >= 0 ? c->fd : -1, .events = ev };
    }
    int n = ppoll(p, 3 + MAX_CLIENTS, NULL, &waiting);
    if (check_requested) {
      check_requested = 0;
      check();
    }
    if (n <= 0) continue;
    if (p[0].revents & POLLIN) accept_on(tcp4);
    if (p[1].revents & POLLIN) accept_on(tcp6);
    if (p[2].revents & POLLIN) on_datagram();
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &clients[i];
      if (c->fd < 0 || c->fd != p[3 + i].fd) continue;
      if (p[3 + i].revents & POLLOUT) write_client(c);
      if (c->fd >= 0 && (p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) && !c->held) read_client(c);
    }
  }
}
