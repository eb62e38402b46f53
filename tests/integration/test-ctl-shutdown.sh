# airsupctl shutdown waits until airsupd has exited (its tree stopped):
# when it returns, airsupd and its processes are gone; --no-block returns
# at once; a --timeout too short says so and exits 1, airsupd going on.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

# slow takes a second to stop: a shutdown that does not wait returns first.
cat >down.conf <<'CONF'
[group:slow]
command = sh -c 'trap "sleep 1; exit 0" TERM; echo $$ >slow.pid; while :; do sleep 0.05; done'
shutdown = 10s
CONF
start_airsupd down.conf
wait_log 'ready root'
wait_until 10 test -s slow.pid || fail "slow did not start"
ctl shutdown || fail "shutdown failed"
gone "$AIRSUPD_PID" || fail "shutdown returned while airsupd still runs"
gone "$(cat slow.pid)" || fail "shutdown returned while slow still runs"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS after shutdown"

# --no-block: back at once, airsupd still stopping slow.
rm -f slow.pid
start_airsupd down.conf
wait_log 'ready root'
wait_until 10 test -s slow.pid || fail "slow did not start"
ctl --json --no-block shutdown >nb.json || fail "shutdown --no-block failed"
grep -qx '{"done":false}' nb.json || fail "shutdown --no-block --json: $(cat nb.json)"
alive "$AIRSUPD_PID" || fail "shutdown --no-block waited for airsupd"
wait_airsupd_exit 20

# --timeout shorter than the stop: exit 1, said, and airsupd goes on.
rm -f slow.pid
start_airsupd down.conf
wait_log 'ready root'
wait_until 10 test -s slow.pid || fail "slow did not start"
ctl --timeout 0.2 shutdown 2>err && fail "a shutdown past its --timeout exited 0"
grep -q 'still runs after 0.2 s' err || fail "the timeout was not said: $(cat err)"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS after shutdown"
exit 0
