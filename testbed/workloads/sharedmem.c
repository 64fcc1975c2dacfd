// Shared memory between a parent and its child, checked by the program itself: `sharedmem posix
// NAME` maps a POSIX shared memory object (shm_open, kept open as an fd too), `sharedmem sysv KEY`
// a System V segment of that key attached by both (the child also has a read-only attach of most
// of it), plus a private segment (IPC_PRIVATE) that only
// the child attaches (and with a third argument `rmid` marks for removal, IPC_RMID, once it has
// it attached, as programs do to leave nothing behind). Both fill the memory with a pattern before the dump. On SIGUSR1 the parent
// writes a new number into the shared mailbox page, pokes the child, and waits for the child to
// answer through the same page: only memory still shared after restore carries the answer. The
// parent also checks what the kernel says of its segment (id, key, size, mode, attaches).
#define _GNU_SOURCE
#include "check.h"
#include "pattern.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIZE (64 * 1024)
#define PATTERN_BYTES (SIZE - 4096)
#define SEED 0x5eedULL
#define PRIVATE_SIZE 8192

static volatile sig_atomic_t poked;
static void on_usr2(int sig) { (void)sig; poked = 1; }

// The last page: [0] the parent's number, [1] the child's answer, [2] what the child found wrong.
static volatile uint64_t *mailbox(uint64_t *area) { return (volatile uint64_t *)((char *)area + PATTERN_BYTES); }

enum { CHILD_OK, CHILD_SHARED_PATTERN, CHILD_PRIVATE_PATTERN, CHILD_PRIVATE_STAT, CHILD_PRIVATE_REMOVAL, CHILD_READONLY_VIEW };

/** Whether the mapping at ADDR shows PERMS in /proc/self/maps. */
static int mapped_as(const void *addr, const char *perms) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;
  while (maps && fgets(line, sizeof line, maps)) {
    unsigned long start;
    char p[8];
    if (sscanf(line, "%lx-%*x %7s", &start, p) == 2 && start == (unsigned long)addr) { found = strcmp(p, perms) == 0; break; }
  }
  if (maps) fclose(maps);
  return found;
}

static void child_loop(uint64_t *area, int id, int private_id, int rmid) {
  uint64_t *private_area = NULL;
  // A second attach of the shared segment, read-only, whose first page the child gave back: an
  // attach comes back with its protection and only the part the program kept.
  const uint64_t *readonly_view = NULL;
  if (id >= 0) {
    char *view = shmat(id, NULL, SHM_RDONLY);
    if (view == (void *)-1 || munmap(view, 4096) != 0) _exit(5);
    readonly_view = (const uint64_t *)(view + 4096);
  }
  if (private_id >= 0) {
    private_area = shmat(private_id, NULL, 0);
    if (private_area == (void *)-1) _exit(3);
    fill(private_area, PRIVATE_SIZE, SEED + 1);
    if (rmid && shmctl(private_id, IPC_RMID, NULL) != 0) _exit(4);
  }
  volatile uint64_t *box = mailbox(area);
  for (;;) {
    usleep(2000);  // polls the flag: a signal before pause() would be lost to it
    if (!poked) continue;
    poked = 0;
    uint64_t code = CHILD_OK;
    for (size_t i = 0; i < PATTERN_BYTES / 8; i++)
      if (area[i] != word(SEED, i)) { code = CHILD_SHARED_PATTERN; break; }
    if (readonly_view) {
      for (size_t i = 0; i < (PATTERN_BYTES - 4096) / 8; i++)
        if (readonly_view[i] != word(SEED, i + 4096 / 8)) { code = CHILD_READONLY_VIEW; break; }
      if (!mapped_as(readonly_view, "r--s") || mapped_as((const char *)readonly_view - 4096, "r--s")) code = CHILD_READONLY_VIEW;
    }
    if (private_area) {
      for (size_t i = 0; i < PRIVATE_SIZE / 8; i++)
        if (private_area[i] != word(SEED + 1, i)) { code = CHILD_PRIVATE_PATTERN; break; }
      struct shmid_ds ds;
      if (shmctl(private_id, IPC_STAT, &ds) != 0 || ds.shm_segsz != PRIVATE_SIZE || ds.shm_nattch != 1) code = CHILD_PRIVATE_STAT;
      else if (rmid != ((ds.shm_perm.mode & SHM_DEST) != 0)) code = CHILD_PRIVATE_REMOVAL;
    }
    box[2] = code;
    box[1] = box[0];
  }
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  checks_on_sigusr1();
  int posix = strcmp(argv[1], "posix") == 0;
  int fd = -1, id = -1, private_id = -1;
  key_t key = 0;
  uint64_t *area;
  if (posix) {
    fd = shm_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, SIZE) != 0) { perror("shm_open"); return 1; }
    area = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (area == MAP_FAILED) { perror("mmap"); return 1; }
  } else {
    key = (key_t)strtol(argv[2], NULL, 0);
    id = shmget(key, SIZE, IPC_CREAT | IPC_EXCL | 0640);
    private_id = shmget(IPC_PRIVATE, PRIVATE_SIZE, IPC_CREAT | 0600);
    if (id < 0 || private_id < 0) { perror("shmget"); return 1; }
    area = shmat(id, NULL, 0);
    if (area == (void *)-1) { perror("shmat"); return 1; }
  }
  fill(area, PATTERN_BYTES, SEED);
  signal(SIGUSR2, on_usr2);  // before the fork: a poke must never find the child without it
  pid_t child = fork();
  if (child == 0) child_loop(area, id, private_id, argc > 3 && strcmp(argv[3], "rmid") == 0);
  volatile uint64_t *box = mailbox(area);
  // The child has made its attaches once it holds its private segment.
  for (int i = 0; i < 1000 && private_id >= 0; i++) {
    struct shmid_ds ds;
    if (shmctl(private_id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1) break;
    usleep(2000);
  }
  printf("ready %d %d %d\n", child, id, private_id);
  uint64_t n = 0;
  for (;;) {
    wait_for_check_request();
    n++;
    box[0] = n;
    kill(child, SIGUSR2);
    for (int i = 0; i < 1000 && box[1] != n; i++) usleep(2000);
    expect(box[1] == n, "the child did not answer %lu through the shared page (it says %lu)", (unsigned long)n, (unsigned long)box[1]);
    expect(box[2] == CHILD_OK, "the child found its memory wrong (code %lu)", (unsigned long)box[2]);
    expect_pattern("parent's shared memory", area, PATTERN_BYTES, SEED);
    if (posix) {
      struct stat st;
      expect(fstat(fd, &st) == 0 && st.st_size == SIZE, "the shm fd is not the %d-byte object", SIZE);
      uint64_t v = 0x1234500000000000ULL | n, back = 0;
      expect(pwrite(fd, &v, 8, PATTERN_BYTES + 24) == 8, "pwrite to the shm fd: %s", strerror(errno));
      back = box[3];
      expect(back == v, "a write through the fd is not seen in the mapping (%#lx)", (unsigned long)back);
    } else {
      struct shmid_ds ds;
      int ok = shmctl(id, IPC_STAT, &ds) == 0;
      expect(ok, "shmctl(%d, IPC_STAT): %s", id, strerror(errno));
      if (ok) {
        expect(ds.shm_perm.__key == key, "segment %d has key %#x, not %#x", id, ds.shm_perm.__key, key);
        expect(ds.shm_segsz == SIZE, "segment %d is %zu bytes", id, ds.shm_segsz);
        expect((ds.shm_perm.mode & 0777) == 0640, "segment %d has mode %o", id, ds.shm_perm.mode & 0777);
        expect(ds.shm_nattch == 3, "segment %d has %lu attaches, not 3", id, (unsigned long)ds.shm_nattch);
      }
      expect(shmget(key, 0, 0) == id, "key %#x does not lead to segment %d", key, id);
    }
    verdict();
  }
}
