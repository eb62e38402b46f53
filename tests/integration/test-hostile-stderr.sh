# airsupd's own event lines: a crash loop writes one every few ms while
# airsupd's standard error is a FIFO whose reader reads nothing (a
# terminal held with ^S, a stuck log collector).  airsupd must go on
# answering `airsupctl status` within 2 s and restarting the crash loop
# (the lines that do not fit are dropped, not waited for) and, once the
# reader reads again, say how many lines went.
. "$(dirname "$0")/lib.sh"

mkfifo err
sleep 1000 <err &
echo $! >stuck.pid
cat >loop.conf <<CONF
[airsupd]
cgroup = off
[supervisor:loop]
intensity = 100000
period = 1s
[group:crashy]
parent = loop
command = sh -c 'exit 3'
backoff = 0
CONF
"$AIRSUPD" -c loop.conf --log=stderr -v --control "$T/control" 2>err &
AIRSUPD_PID=$!
# An answer: exit 0, or 3 when crashy is caught between two of its runs.
answers() {
        timeout -k 1 2 "$AIRSUPCTL" -s "$T/control" status crashy >status.out
        local rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
}
restarts() { answers && awk '$1 == "crashy" { print $5 }' status.out; }
wait_until 10 answers || fail "airsupctl status got no answer within 10 s of the start"
first=$(restarts) || fail "no answer while stderr is full"
for i in 1 2 3 4 5; do
        answers || fail "airsupctl status got no answer within 2 s (call $i) while its stderr is full"
done
# 2000 restarts write some 500 kB of events: the FIFO (64 kB) is full.
wait_until 30 eval '[ "$(restarts)" -gt "$((first + 2000))" ]' ||
        fail "the crash loop is not restarted while stderr is full: $(cat status.out)"
cat err >out &
kill "$(cat stuck.pid)"
wait_until 10 grep -Eq '^airsupd: [0-9]+ lines dropped while standard error was full$' out ||
        fail "no line saying what was dropped: $(grep -v crashy out | head -n 3)"
kill -TERM "$AIRSUPD_PID"
wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd did not exit within 10 s"
wait "$AIRSUPD_PID"
status=$?
AIRSUPD_PID=
[ "$status" -eq 0 ] || fail "airsupd exited $status"
! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' out || fail "sanitizer report: $(grep -A5 Sanitizer out)"
exit 0
