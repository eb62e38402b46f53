# A shutdown that cannot end (a child that ignores SIGTERM, shutdown =
# infinity) is cut short by the third SIGTERM/SIGINT within 5 s: every
# remaining process is SIGKILLed and airsupd exits 1.  The second only
# says what the third will do.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[group:stubborn]
command = sh -c 'trap "" TERM; echo $$ > stubborn.pid; sleep 1000 & echo $! > worker.pid; wait; wait'
shutdown = infinity
[group:polite]
command = sleep 1000
CONF
start_airsupd airsup.conf
wait_log 'ready polite'
wait_until 5 test -s worker.pid || fail "stubborn did not start"
s=$(cat stubborn.pid)
w=$(cat worker.pid)
kill -TERM "$AIRSUPD_PID"
wait_log 'stopping stubborn'
kill -INT "$AIRSUPD_PID"
wait_log 'SIGINT during shutdown: once more within 5 s to kill every remaining process'
alive "$s" || fail "the second signal already killed"
not_running "$AIRSUPD_PID" && fail "airsupd left after the second signal"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 5
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "a forced shutdown exited $AIRSUPD_STATUS, expected 1"
log_has 'shutdown forced' || fail "no word of the forced shutdown"
wait_gone "$s" 5
wait_gone "$w" 5
