// A terminal for a test: holds a pty master, runs argv[3..] on the slave as the leader of a new
// session (its controlling terminal), copies what arrives on the FIFO argv[1] to the master (as
// keystrokes) and what the master gives to the file argv[2] (the screen). SIGUSR1 pauses or
// resumes the copying, so bytes can be left queued in the terminal across a dump.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t paused;
static void on_usr1(int sig) { (void)sig; paused = !paused; }

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  grantpt(master);
  unlockpt(master);
  struct winsize ws = { .ws_row = 37, .ws_col = 123 };
  ioctl(master, TIOCSWINSZ, &ws);
  pid_t child = fork();
  if (child == 0) {
    setsid();
    int slave = open(ptsname(master), O_RDWR);   // becomes the controlling terminal
    dup2(slave, 0); dup2(slave, 1); dup2(slave, 2);
    if (slave > 2) close(slave);
    execvp(argv[3], argv + 3);
    _exit(127);
  }
  // A slave fd of its own, though the terminal belongs to the child's session: an alien terminal.
  int alien = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  (void)alien;
  signal(SIGUSR1, on_usr1);
  int keys = open(argv[1], O_RDWR | O_CLOEXEC);      // O_RDWR: no EOF when the test closes its end
  int screen = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  char buf[4096];
  for (;;) {
    if (paused) { usleep(2000); continue; }
    struct pollfd p[2] = { { .fd = keys, .events = POLLIN }, { .fd = master, .events = POLLIN } };
    if (poll(p, 2, 10) <= 0) continue;
    if (paused) continue;
    if (p[0].revents & POLLIN) { ssize_t n = read(keys, buf, sizeof buf); if (n > 0) write(master, buf, n); }
    if (p[1].revents & POLLIN) { ssize_t n = read(master, buf, sizeof buf); if (n > 0) write(screen, buf, n); }
    if (p[1].revents & POLLHUP) break;
  }
  waitpid(child, NULL, 0);
  return 0;
}
