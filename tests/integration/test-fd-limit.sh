# File descriptors: a tree that cannot fit in airsupd's limit is refused
# at --check and at start with the numbers (exit 78); as root with
# CAP_SYS_RESOURCE airsupd raises its own hard limit while its children
# keep the one it was started with; and running out of fds at run time
# (the limit lowered under a running airsupd) makes starts fail, counted
# toward intensity, until the tree gives up and airsupd exits 1 with
# every process stopped: never a wedge.
. "$(dirname "$0")/lib.sh"

groups() {      # groups N [KEY=VALUE]: N groups under root
        for i in $(seq 1 "$1"); do
                printf '[group:g%d]\ncommand = sleep 1000\n' "$i"
        done
}

# 1. 100 groups in 256 fds: refused, with the numbers, by --check and start.
groups 100 >big.conf
out=$( (ulimit -n 256; "$AIRSUPD" --check -c big.conf) 2>&1); rc=$?
[ $rc -eq 78 ] || fail "--check of 100 groups in 256 fds exited $rc: $out"
echo "$out" | grep -Eq 'big.conf: the tree needs at least [0-9]+ file descriptors in airsupd \(100 processes, [0-9]+ for airsupd itself\), but it may have only 256' ||
        fail "--check said: $out"
if ! grep -q '^CapEff:.*' /proc/self/status || [ $(( 0x$(sed -n 's/^CapEff:\t*//p' /proc/self/status) >> 24 & 1 )) -eq 0 ]; then
        out=$( (ulimit -n 256; "$AIRSUPD" -c big.conf --control "$T/c1" --log=stderr) 2>&1); rc=$?
        [ $rc -eq 78 ] || fail "airsupd with 100 groups in 256 fds exited $rc: $out"
        echo "$out" | grep -q 'may have only 256' || fail "airsupd said: $out"
        pgrep -f "^sleep 1000" -P $$ >/dev/null && fail "something was started"
        echo "no CAP_SYS_RESOURCE here: the raise of the hard limit is not tested"
else
        # Root raises its hard limit: all 300 start, the children keep 1024.
        groups 300 >raise.conf
        (ulimit -n 1024; exec "$AIRSUPD" -c raise.conf --log=stderr -v --control "$T/control") 2>"$LOG" &
        AIRSUPD_PID=$!
        wait_log 'ready root' 60
        [ "$(log_count ' started g')" -eq 300 ] || fail "$(log_count ' started g') of 300 started"
        grep -q 'Max open files *1024 *1024' "/proc/$(group_pid g300)/limits" ||
                fail "g300's limit: $(grep 'open files' /proc/$(group_pid g300)/limits)"
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit 30
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
        : >"$LOG"
fi
# A tree that fits is ok.
groups 20 >small.conf
(ulimit -n 256; "$AIRSUPD" --check -c small.conf) >/dev/null || fail "--check of 20 groups in 256 fds failed"

# 2. Out of fds at run time: two supervisors of ten, the limit lowered to
#    below what airsupd holds now, then a crash.  Every start fails (EMFILE),
#    counted; the supervisors give up, then root, and airsupd exits 1.
{
        printf '[supervisor:root]\nintensity = 1\nperiod = 60s\n'
        for s in 1 2; do
                printf '[supervisor:s%d]\nintensity = 2\nperiod = 60s\n' "$s"
                for i in $(seq 1 10); do
                        printf '[group:g%d_%d]\nparent = s%d\ncommand = sleep 1000\nbackoff = 10ms\n' "$s" "$i" "$s"
                done
        done
} >run.conf
start_airsupd run.conf
wait_log 'ready root' 30
pids=$(grep -E ' started g' "$LOG" | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
# A new fd must have a number below the limit: at 40, only what the
# first processes and the reserve free up is usable, never the fds of
# the last group started.
prlimit --pid "$AIRSUPD_PID" --nofile=40:40 || fail "prlimit failed"
# An operator's client, out of fds: answered or refused at once, and the
# queued connection does not make airsupd spin (it ran at 100 % of a CPU
# ahead of the tree, accept() failing with EMFILE for ever).
cpu() { awk '{ print $14 + $15 }' "/proc/$AIRSUPD_PID/stat"; }
for i in 1 2 3; do
        timeout 5 "$AIRSUPCTL" -s "$T/control" status >/dev/null 2>&1
        [ $? -eq 124 ] && fail "status hung with airsupd out of fds"
done
c0=$(cpu)
python3 -c 'import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(5)]
for x in s:
    x.connect(sys.argv[1])
time.sleep(1)' "$T/control" || true
c1=$(cpu)
echo "airsupd CPU while 5 clients wait, out of fds: $((c1 - c0)) ticks in 1 s"
[ $((c1 - c0)) -lt 30 ] || fail "airsupd spun: $((c1 - c0)) ticks of CPU in 1 s"
kill -KILL "$(group_pid g2_10)"
wait_airsupd_exit 60
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, not 1 (root gave up)"
log_has 'start-failed g2_10 .*error=EMFILE' || fail "no start failed with EMFILE"
log_has 'gave-up root' || fail "root did not give up"
for p in $pids; do
        alive "$p" && fail "pid $p of the tree outlived airsupd"
done
exit 0
