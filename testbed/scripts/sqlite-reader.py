# Reads the database DB that sqlite-writer.py writes, as another process would: "N rows ok" when
# the rows are 1..N with their totals and the database passes its integrity check, else what is wrong.
import sqlite3, sys

db = sqlite3.connect(sys.argv[1], timeout=5)
integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
rows = db.execute("SELECT n, total, text FROM rows ORDER BY n").fetchall()
total = 0
for i, (n, t, text) in enumerate(rows, 1):
    total += i
    if n != i or t != total or text != f"row {i}":
        print(f"row {i} is {(n, t, text)}")
        sys.exit(1)
print(f"{len(rows)} rows ok" if integrity == "ok" else f"integrity check: {integrity}")
