# A shell script that logs to its stdout: "line N" (N from 1) every 50 ms, after saying
# "ticker PID" on stderr. Run as `sh ticker.sh | READER`, its stdout is a pipe to READER.
echo "ticker $$" >&2
n=0
while :; do
  n=$((n + 1))
  echo "line $n"
  sleep 0.05
done
