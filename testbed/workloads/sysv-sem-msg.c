// Uses a System V semaphore set (`sysv-sem-msg sem KEY`) or message queue (`... msg KEY`), which
// ferry carries only with --sysv-ipc, and checks on SIGUSR1 that it still has it and that it is as it left it.
#define _GNU_SOURCE
#include "check.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

struct message { long type; char text[16]; };

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  checks_on_sigusr1();
  key_t key = (key_t)strtol(argv[2], NULL, 0);
  int sem = strcmp(argv[1], "sem") == 0;
  int id;
  if (sem) {
    id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    struct sembuf up = { .sem_num = 0, .sem_op = 3 };
    if (id < 0 || semop(id, &up, 1) != 0) { perror("semget"); return 1; }
  } else {
    id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    struct message m = { .type = 1, .text = "hello" };
    if (id < 0 || msgsnd(id, &m, sizeof m.text, 0) != 0) { perror("msgget"); return 1; }
  }
  printf("ready %d\n", id);
  for (;;) {
    wait_for_check_request();
    if (sem) {
      int v = semctl(id, 0, GETVAL);
      expect(v == 3, "semaphore %d is %d, not 3 (%s)", id, v, v < 0 ? strerror(errno) : "");
    } else {
      struct msqid_ds ds;
      int ok = msgctl(id, IPC_STAT, &ds) == 0;
      expect(ok && ds.msg_qnum == 1, "queue %d does not hold its one message", id);
    }
    verdict();
  }
}
