# Three threads count in a shared list; the main thread appends "N [counts]" to a file every 50 ms.
import threading, time, sys
counts = [0, 0, 0]
def work(i):
    while True:
        counts[i] += 1
        time.sleep(0.005)
for i in range(3):
    threading.Thread(target=work, args=(i,), daemon=True).start()
with open(sys.argv[1], "a", buffering=1) as out:
    n = 0
    while True:
        n += 1
        out.write(f"{n} {' '.join(map(str, counts))}\n")
        time.sleep(0.05)
