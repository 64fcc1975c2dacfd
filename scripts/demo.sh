#!/usr/bin/env bash
# The main job on the embedded default: start a workload, checkpoint it to a directory,
# restore it, and show it carrying on where it was.
set -euo pipefail
cd "$(dirname "$0")/.."
ferry() { node services/cli/bin/ferry.js "$@"; }

work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/counter.py" <<'PY'
import time, sys
n = 0
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        n += 1
        out.write(f"{n}\n")
        time.sleep(0.1)
PY
# The workload gets no descriptor of ours but stdio (a pipe it held would make it unsupported).
(
  for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
  exec setsid python3 "$work/counter.py" "$work/count.txt" </dev/null >/dev/null 2>&1
) &
pid=$!
disown "$pid"
sleep 1
echo "workload pid $pid has counted to $(tail -n1 "$work/count.txt")"

ferry dump -t "$pid" -D "$work/image"
echo "dumped: pid $pid is gone ($(kill -0 $pid 2>/dev/null && echo 'still there!?' || echo 'not running'))"
ferry show "$work/image" | head -n 6

ferry restore -D "$work/image" -d
before=$(tail -n1 "$work/count.txt")
sleep 1
after=$(tail -n1 "$work/count.txt")
echo "restored pid $pid: counted from $before to $after since the restore, no restart from 1"
[ "$after" -gt "$before" ] && [ "$(head -n1 "$work/count.txt")" = 1 ]
echo "demo: ok"
