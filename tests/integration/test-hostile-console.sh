# stdout = console: a child writing as fast as it can while airsupd's own
# standard error is a FIFO whose reader reads nothing (a terminal held
# with ^S, a stuck pager).  airsupd must keep answering `airsupctl status`
# within 2 s (the lines that do not fit are dropped, not waited for) and,
# once the reader reads again, say how many lines went.
# airsupd logs to the journal here (none: nowhere), so that only the
# console lines go to its standard error.
. "$(dirname "$0")/lib.sh"

mkfifo err
# The stuck reader: holds the FIFO open, never reads.
sleep 1000 <err &
echo $! >stuck.pid
cat >console.conf <<CONF
[airsupd]
cgroup = off
[group:shout]
command = sh -c 'i=0; while :; do echo "console flood line \$i"; i=\$((i + 1)); done'
stdout = console
CONF
"$AIRSUPD" -c console.conf --log=journal --control "$T/control" 2>err &
AIRSUPD_PID=$!
answers() { timeout -k 1 2 "$AIRSUPCTL" -s "$T/control" status >/dev/null; }
wait_until 10 answers || fail "airsupctl status got no answer within 10 s of the start"
# The FIFO (64 KiB) is full within milliseconds of the flood; airsupd
# goes on answering for as long as it lasts.
for i in 1 2 3 4 5; do
        answers || fail "airsupctl status got no answer within 2 s (call $i) while its stderr is full"
done
# A reader that reads: the flood gets through again, with a line saying
# how many lines were dropped meanwhile.
cat err >out &
echo $! >reader.pid
kill "$(cat stuck.pid)"
wait_until 10 grep -Eq '^shout \| airsupd: [0-9]+ lines dropped or cut, airsupd.s standard error was full$' out ||
        fail "no line saying what was dropped: $(grep -v 'console flood' out | head -n 3)"
grep -q '^shout | console flood line [0-9]*$' out || fail "no console line came through"
answers || fail "airsupctl status got no answer within 2 s after the reader came back"
kill -TERM "$AIRSUPD_PID"
wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd did not exit within 10 s"
wait "$AIRSUPD_PID"
status=$?
AIRSUPD_PID=
[ "$status" -eq 0 ] || fail "airsupd exited $status"
! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' out || fail "sanitizer report: $(grep -A5 Sanitizer out)"
exit 0
