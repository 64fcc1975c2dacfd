// A parent and child sharing a System V semaphore set (semaphore 0 a mutex, 1 a counter) and a
// message queue: `sysv-carry SEMKEY MSGKEY`. Three messages stay queued across the dump. On
// SIGUSR1 the parent checks the counter and the queued messages are exactly as it left them, and
// that the child still answers through both: it takes the mutex, counts once, and replies.
#define _GNU_SOURCE
#include "check.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>

struct message { long type; char text[32]; };
enum { ASK = 100, ANSWER = 101 };
static const long types[3] = { 7, 3, 7 };
static const char *texts[3] = { "first", "second, type 3", "third" };

static int semop1(int id, int num, int op) {
  struct sembuf b = { .sem_num = num, .sem_op = op };
  return semop(id, &b, 1);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  checks_on_sigusr1();
  int sem = semget((key_t)strtol(argv[1], NULL, 0), 2, IPC_CREAT | IPC_EXCL | 0640);
  int msg = msgget((key_t)strtol(argv[2], NULL, 0), IPC_CREAT | IPC_EXCL | 0620);
  if (sem < 0 || msg < 0) { perror("semget/msgget"); return 1; }
  unsigned short init[2] = { 1, 5 };
  if (semctl(sem, 0, SETALL, init) != 0) { perror("SETALL"); return 1; }
  for (int n = 0; n < 3; n++) {
    struct message m = { .type = types[n] };
    strcpy(m.text, texts[n]);
    if (msgsnd(msg, &m, strlen(texts[n]) + 1, 0) != 0) { perror("msgsnd"); return 1; }
  }
  pid_t child = fork();
  if (child == 0) {
    struct message m;
    for (;;) {
      if (msgrcv(msg, &m, sizeof m.text, ASK, 0) < 0) { if (errno == EINTR) continue; return 1; }
      semop1(sem, 0, -1);
      semop1(sem, 1, 1);
      semop1(sem, 0, 1);
      m.type = ANSWER;
      msgsnd(msg, &m, 1, 0);
    }
  }
  printf("ready %d %d %d\n", child, sem, msg);
  int counted = 5;
  for (;;) {
    wait_for_check_request();
    int v = semctl(sem, 1, GETVAL), mutex = semctl(sem, 0, GETVAL);
    expect(v == counted && mutex == 1, "counter %d (not %d), mutex %d (%s)", v, counted, mutex, v < 0 ? strerror(errno) : "");
    // Takes the three messages in order, then queues them again as they were.
    struct message m;
    for (int n = 0; n < 3; n++) {
      ssize_t len = msgrcv(msg, &m, sizeof m.text, 0, IPC_NOWAIT);
      expect(len == (ssize_t)strlen(texts[n]) + 1 && m.type == types[n] && strcmp(m.text, texts[n]) == 0,
             "message %d is type %ld '%.*s' (%zd bytes, %s)", n, m.type, len > 0 ? (int)len : 0, m.text, len, len < 0 ? strerror(errno) : "");
    }
    struct msqid_ds ds;
    expect(msgctl(msg, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0, "more messages queued than the three");
    for (int n = 0; n < 3; n++) {
      m.type = types[n];
      strcpy(m.text, texts[n]);
      msgsnd(msg, &m, strlen(texts[n]) + 1, 0);
    }
    // The child answers through the queue and counts under the mutex.
    m.type = ASK;
    expect(msgsnd(msg, &m, 1, 0) == 0, "ask: %s", strerror(errno));
    expect(msgrcv(msg, &m, sizeof m.text, ANSWER, 0) == 1, "no answer: %s", strerror(errno));
    counted++;
    v = semctl(sem, 1, GETVAL);
    expect(v == counted, "the child counted to %d, not %d", v, counted);
    verdict();
  }
}
