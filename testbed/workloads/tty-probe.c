// Runs on a terminal and reports what it sees of it, to the file argv[1] (never the terminal):
// on SIGUSR1 a "state" line (termios with every c_cc, window size, sid, pgrp, foreground group,
// ttyname, /dev/tty); on SIGUSR2 one read(2) of stdin, as "read N HEX"; on SIGALRM it writes
// argv[3] (or fills stdout until it would block, if argv[3] is "fill") to the terminal.
// argv[2] picks its mode: "raw" (custom c_cc, VMIN 3, VTIME 7, exclusive), "cooked" (as it comes).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t want_state, want_read, want_write;
static void on_usr1(int s) { (void)s; want_state = 1; }
static void on_usr2(int s) { (void)s; want_read = 1; }
static void on_alrm(int s) { (void)s; want_write = 1; }

static FILE *report;
static int devtty;

static void state(void) {
  struct termios t;
  struct winsize w;
  tcgetattr(0, &t);
  ioctl(0, TIOCGWINSZ, &w);
  fprintf(report, "state iflag=%o oflag=%o cflag=%o lflag=%o cc=", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
  for (int i = 0; i < NCCS; i++) fprintf(report, "%02x", t.c_cc[i]);
  char link[64] = "";
  ssize_t n = readlink("/proc/self/fd/5", link, sizeof link - 1);
  if (n > 0) link[n] = 0;
  int excl = 0;
  ioctl(0, TIOCGEXCL, &excl);
  fprintf(report, " excl=%d size=%dx%d sid=%d pgrp=%d fg=%d tty=%s fd5=%s devtty-works=%d\n", excl, w.ws_row, w.ws_col, getsid(0), getpgrp(),
          tcgetpgrp(0), ttyname(0), link, write(devtty, "", 0) == 0);
}

static void read_once(void) {
  unsigned char buf[8192];
  ssize_t n = read(0, buf, sizeof buf);
  fprintf(report, "read %zd ", n);
  for (ssize_t i = 0; i < n; i++) fprintf(report, "%02x", buf[i]);
  fprintf(report, "\n");
}

static void write_out(const char *what) {
  if (strcmp(what, "fill") != 0) { write(1, what, strlen(what)); fprintf(report, "wrote\n"); return; }
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  long total = 0;
  char chunk[1024];
  for (int i = 0; i < 1024; i++) chunk[i] = 'a' + (i % 26);
  for (;;) {
    ssize_t n = write(1, chunk, sizeof chunk);
    if (n <= 0) break;
    total += n;
  }
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
  fprintf(report, "filled %ld\n", total);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  report = fopen(argv[1], "a");
  setvbuf(report, NULL, _IOLBF, 0);
  devtty = open("/dev/tty", O_RDWR);
  if (devtty != 5) { dup2(devtty, 5); close(devtty); devtty = 5; }
  if (!strcmp(argv[2], "raw")) {
    struct termios t;
    tcgetattr(0, &t);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 3;
    t.c_cc[VTIME] = 7;
    t.c_cc[VINTR] = 0x07;
    t.c_cc[VEOF] = 0x0b;
    tcsetattr(0, TCSANOW, &t);
    ioctl(0, TIOCEXCL);
  }
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, on_usr2);
  signal(SIGALRM, on_alrm);
  state();
  fprintf(report, "ready\n");
  for (;;) {
    usleep(2000);
    if (want_state) { want_state = 0; state(); }
    if (want_read) { want_read = 0; read_once(); }
    if (want_write) { want_write = 0; write_out(argc > 3 ? argv[3] : "hello\n"); }
  }
}
