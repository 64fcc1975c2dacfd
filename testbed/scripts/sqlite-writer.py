# Writes rows to the sqlite database DB in WAL mode, one transaction a row, each row n carrying
# the running total of 1..n that the writer keeps in memory: a restart, a lost row or a torn
# transaction shows in the rows. Says "wrote N" every 10 rows. SIGUSR1 asks it to read every row
# back through its own connection: "read N rows ok" or what is wrong.
import signal, sqlite3, sys, time

db = sqlite3.connect(sys.argv[1], isolation_level=None)
assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
db.execute("CREATE TABLE IF NOT EXISTS rows (n INTEGER PRIMARY KEY, total INTEGER NOT NULL, text TEXT NOT NULL)")
check_asked = False


def ask_check(signum, frame):
    global check_asked
    check_asked = True


def check():
    rows = db.execute("SELECT n, total, text FROM rows ORDER BY n").fetchall()
    total = 0
    for i, (n, t, text) in enumerate(rows, 1):
        total += i
        if n != i or t != total or text != f"row {i}":
            return f"row {i} is {(n, t, text)}"
    return f"read {len(rows)} rows ok"


signal.signal(signal.SIGUSR1, ask_check)
n, total = 0, 0
while True:
    n += 1
    total += n
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO rows VALUES (?, ?, ?)", (n, total, f"row {n}"))
    db.execute("COMMIT")
    if n % 10 == 0:
        print(f"wrote {n}", flush=True)
    if check_asked:
        check_asked = False
        print(check(), flush=True)
    time.sleep(0.01)
