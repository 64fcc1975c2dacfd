// An inotify instance with three watches in a directory DIR (argv[1]) that it makes: DIR itself
// for IN_CREATE|IN_DELETE, DIR/file for one IN_MODIFY (IN_ONESHOT), DIR/sub for IN_CLOSE_WRITE; a
// fourth watch was removed, so their descriptors are 1, 2 and 4, and the next one is 5. Its queue
// is read empty before "ready", unless argv[2] is "queued": then the IN_CREATE of DIR/queued waits unread.
// Each check makes events and reads them: each comes from the right watch, with its name.
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX / 2], file[PATH_MAX], sub[PATH_MAX], gone[PATH_MAX], later[PATH_MAX];
static char events[4096] __attribute__((aligned(8)));

/** The next event of the non-blocking instance, or NULL. */
static struct inotify_event *next_event(int fd) {
  static ssize_t have, at;
  if (at >= have) {
    have = read(fd, events, sizeof events);
    at = 0;
    if (have <= 0) { have = 0; return NULL; }
  }
  struct inotify_event *e = (struct inotify_event *)(events + at);
  at += sizeof *e + e->len;
  return e;
}

static void expect_event(int fd, int wd, uint32_t mask, const char *name) {
  struct inotify_event *e = next_event(fd);
  expect(e && e->wd == wd && (e->mask & mask) && (!name || (e->len && !strcmp(e->name, name))),
         "expected event %#x on wd %d (%s), got %s %d %#x %s", mask, wd, name ? name : "", e ? "wd" : "none", e ? e->wd : 0, e ? e->mask : 0,
         e && e->len ? e->name : "");
}

static void touch(const char *path) { int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); write(fd, "x", 1); close(fd); }

int main(int argc, char **argv) {
  checks_on_sigusr1();
  snprintf(dir, sizeof dir, "%s", argv[1]);
  snprintf(file, sizeof file, "%s/file", dir);
  snprintf(sub, sizeof sub, "%s/sub", dir);
  snprintf(gone, sizeof gone, "%s/gone", dir);
  snprintf(later, sizeof later, "%s/later", dir);
  mkdir(dir, 0755);
  mkdir(sub, 0755);
  mkdir(gone, 0755);
  mkdir(later, 0755);
  touch(file);
  int in = inotify_init1(IN_NONBLOCK);
  int w_dir = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
  int w_file = inotify_add_watch(in, file, IN_MODIFY | IN_ONESHOT);
  int w_gone = inotify_add_watch(in, gone, IN_ALL_EVENTS);
  int w_sub = inotify_add_watch(in, sub, IN_CLOSE_WRITE);
  inotify_rm_watch(in, w_gone);
  while (next_event(in)) {}  // the removal's IN_IGNORED
  if (w_dir != 1 || w_file != 2 || w_sub != 4) { printf("watch descriptors are %d %d %d\n", w_dir, w_file, w_sub); return 2; }
  if (argc > 2 && !strcmp(argv[2], "queued")) {
    char queued[PATH_MAX];
    snprintf(queued, sizeof queued, "%s/queued", dir);
    touch(queued);
  }
  int first = 1, round = 0;
  printf("ready\n");
  for (;;) {
    wait_for_check_request();
    char name[32], path[PATH_MAX + 40];
    snprintf(name, sizeof name, "new-%d", round++);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    touch(path);
    expect_event(in, w_dir, IN_CREATE, name);
    unlink(path);
    expect_event(in, w_dir, IN_DELETE, name);
    snprintf(path, sizeof path, "%s/%s", sub, name);
    touch(path);
    expect_event(in, w_sub, IN_CLOSE_WRITE, name);
    if (first) {
      int fd = open(file, O_WRONLY | O_APPEND);
      write(fd, "y", 1);
      write(fd, "y", 1);
      close(fd);
      expect_event(in, w_file, IN_MODIFY, NULL);
      expect_event(in, w_file, IN_IGNORED, NULL);  // a one-shot watch ends after its event
      int w_later = inotify_add_watch(in, later, IN_CREATE);
      expect(w_later == 5, "the next watch got wd %d, not 5", w_later);
      first = 0;
    }
    struct inotify_event *extra = next_event(in);
    expect(!extra, "an unexpected event on wd %d, mask %#x", extra ? extra->wd : 0, extra ? extra->mask : 0);
    expect(fcntl(in, F_GETFL) & O_NONBLOCK, "the inotify became blocking");
    verdict();
  }
}
