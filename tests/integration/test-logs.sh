# stdout = log:PATH: airsupd writes the child's lines with a time each,
# rotates at log_max keeping log_keep old files, splits a line longer than
# its buffer without losing a byte, reopens on SIGUSR1, and a flood is
# slowed by the pipe rather than growing airsupd.  stdout = console
# prefixes each line with the process's name on airsupd's stderr.
. "$(dirname "$0")/lib.sh"

cat >writer.py <<'PY'
import os, signal, sys
mode = sys.argv[1]
if mode == "lines":             # 200 numbered lines of 100 bytes, some to stderr
    for i in range(200):
        print("line %04d %s" % (i, "x" * 89), file=sys.stderr if i % 10 == 9 else sys.stdout, flush=True)
elif mode == "long":            # one line of 40000 bytes
    sys.stdout.write("L" * 40000 + "\n"); sys.stdout.flush()
elif mode == "flood":           # once $GO (a FIFO) is written: 64 MB in 1000-byte lines, as fast as the pipe takes them
    open(os.environ["GO"]).read()
    line = ("f" * 999 + "\n").encode()
    out = os.fdopen(1, "wb", buffering=1 << 16)
    for _ in range(64 * 1024):
        out.write(line)
    out.flush()
open(os.environ["DONE"], "w").close()
signal.pause()                  # stay up until stopped
PY

cat >logs.conf <<CONF
[group:lines]
command = python3 $T/writer.py lines
environment = DONE=$T/lines.done
stdout = log:$T/lines.%i.log
stderr = stdout
log_max = 4096
log_keep = 2
[group:long]
command = python3 $T/writer.py long
environment = DONE=$T/long.done
stdout = log:$T/long.log
[group:shout]
command = sh -c 'echo hello from shout; echo and its stderr >&2; exec sleep 1000'
stdout = console
[group:ticker]
command = sh -c 'i=0; while :; do echo tick \$i; i=\$((i + 1)); sleep 0.05; done'
stdout = log:$T/ticker.log
CONF
start_airsupd logs.conf
wait_until 10 test -e lines.done || fail "the writer did not finish"
wait_until 10 test -e long.done || fail "the long writer did not finish"

# Rotation: at most 4096 bytes a file, two old ones kept, none beyond.
wait_until 10 grep -q 'line 0199' lines.0.log || fail "the last line is not in lines.0.log"
for f in lines.0.log lines.0.log.1 lines.0.log.2; do
        [ -s "$f" ] || fail "$f is missing"
        [ "$(stat -c %s "$f")" -le 4096 ] || fail "$f is larger than log_max"
done
[ ! -e lines.0.log.3 ] || fail "more than log_keep old files"
# Every line has its time; the newest lines are all there, in order, stderr's too.
grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}[+-][0-9]{2}:[0-9]{2} line [0-9]{4} x{89}$' lines.0.log &&
        fail "a line without its time: $(grep -Ev '^[0-9]{4}-.* line [0-9]{4} x{89}$' lines.0.log | head -n 1)"
got=$(cat lines.0.log.2 lines.0.log.1 lines.0.log | sed 's/^[^ ]* line \([0-9]*\).*/\1/' | tail -n 60 | paste -sd, -)
want=$(seq -f %04g 140 199 | paste -sd, -)
[ "$got" = "$want" ] || fail "lines lost or out of order: $got"

# A 40000-byte line comes out in pieces, not a byte lost.
wait_until 10 eval '[ "$(cut -d" " -f2- long.log | tr -d "\n" | wc -c)" -eq 40000 ]' ||
        fail "the long line lost bytes: $(cut -d' ' -f2- long.log | tr -d '\n' | wc -c) of 40000"
[ "$(wc -l <long.log)" -ge 3 ] || fail "the long line was not split"

# airsupctl logs: the last lines of a group's log, then -f follows it.
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
[ "$(ctl logs -n 5 lines)" = "$(tail -n 5 lines.0.log)" ] || fail "logs -n 5 lines: $(ctl logs -n 5 lines)"
[ "$(ctl logs -n 1 'lines[0]')" = "$(tail -n 1 lines.0.log)" ] || fail "logs lines[0]"
[ -z "$(ctl logs -n 0 lines)" ] || fail "logs -n 0 printed lines"
# A console group: the lines airsupd keeps of it.
wait_until 10 eval 'ctl logs shout | grep -q "^and its stderr$"' || fail "logs shout says: $(ctl logs shout 2>&1)"
ctl logs -n 2 shout >out || fail "logs of a console group exited $?"
[ "$(cat out)" = "$(printf 'hello from shout\nand its stderr')" ] || fail "logs -n 2 shout: $(cat out)"
ctl logs nosuch 2>/dev/null; [ $? -eq 3 ] || fail "logs of no such group is not 3"
"$AIRSUPCTL" -s "$T/control" logs -f -n 0 ticker >follow.out &
follower=$!
wait_until 10 eval '[ "$(wc -l <follow.out)" -ge 3 ]' || fail "logs -f followed nothing"
kill "$follower"
a=$(sed -n 1p follow.out | sed 's/.* tick //'); b=$(sed -n 3p follow.out | sed 's/.* tick //')
[ "$b" -eq $((a + 2)) ] || fail "logs -f skipped or repeated lines: $(cat follow.out)"

# console: the process's name before each line, on airsupd's stderr.
wait_log 'shout \| hello from shout'
wait_log 'shout \| and its stderr'

# SIGUSR1 reopens: after an outside move, new lines go to a new file.
mv long.log long.old
kill -USR1 "$AIRSUPD_PID"
wait_log 'SIGUSR1: reopening log files'
wait_until 10 test -e long.log || fail "SIGUSR1 did not reopen long.log"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# A flood of 64 MB: airsupd's memory stays flat, the file takes it all.
mkfifo flood.go
cat >flood.conf <<CONF
[group:flood]
command = python3 $T/writer.py flood
environment = DONE=$T/flood.done GO=$T/flood.go
stdout = log:$T/flood.log
log_max = 0
CONF
start_airsupd flood.conf
wait_log 'ready root'
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status")
echo go >flood.go
wait_until 60 test -e flood.done || fail "the flood did not finish"
wait_until 30 eval '[ "$(wc -l <flood.log)" -ge 65536 ]' || fail "flood lines lost: $(wc -l <flood.log) of 65536"
rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status")
[ $((rss1 - rss0)) -lt 4096 ] || fail "airsupd grew by $((rss1 - rss0)) kB during a 64 MB flood"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
