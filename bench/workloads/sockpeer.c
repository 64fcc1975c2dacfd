// The far end of sockets.c's TCP connections, outside the dumped tree: listens on 127.0.0.1 on a
// free port, which it writes to DIR/ready (argv[3]) with its pid, then accepts CONNS connections
// (argv[1]), writes QUEUED bytes (argv[2]) into each, and never reads: what the tree wrote stays
// queued here. It keeps them open, silent, until killed; one that sees EOF or a reset prints it.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int conns = atoi(argv[1]), queued = atoi(argv[2]);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, conns) || getsockname(listener, (struct sockaddr *)&addr, &len)) { perror("listen"); return 1; }
  char path[4096];
  snprintf(path, sizeof path, "%s/port", argv[3]);
  FILE *f = fopen(path, "w");
  fprintf(f, "%d\n", ntohs(addr.sin_port));
  fclose(f);
  struct pollfd *fds = calloc(conns, sizeof *fds);
  unsigned char *buf = malloc(queued);
  for (int i = 0; i < queued; i++) buf[i] = (unsigned char)(4 + i);
  for (int i = 0; i < conns; i++) {
    int c = accept(listener, 0, 0);
    if (c < 0) { perror("accept"); return 1; }
    for (int done = 0; done < queued;) {
      int w = write(c, buf + done, queued - done);
      if (w <= 0) { perror("write"); return 1; }
      done += w;
    }
    fds[i] = (struct pollfd){ .fd = c, .events = POLLRDHUP };
  }
  for (;;) {
    if (poll(fds, conns, -1) < 0) continue;
    for (int i = 0; i < conns; i++) {
      if (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        printf("connection %d: %s\n", i, fds[i].revents & POLLERR ? "reset" : "closed");
        fflush(stdout);
        fds[i].fd = -1;
      }
    }
  }
}
