# More than `intensity` restarts within `period`: airsupd stops every child
# and exits 1.  Backoff does not hide crashes from the count.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[supervisor:root]
intensity = 3
period = 30s
[group:steady]
command = sh -c 'echo \$\$ > steady.pid; exec sleep 1000'
[group:crasher]
command = sh -c 'exit 2'
backoff = 20ms
CONF

start_airsupd airsup.conf
wait_log 'gave-up root' 20
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
[ "$(log_count 'exited crasher')" -eq 4 ] || fail "expected 4 crashes (3 restarts allowed), saw $(log_count 'exited crasher')"
[ "$(log_count 'restarting crasher')" -eq 3 ] || fail "expected 3 restarts"
gone "$(cat steady.pid)" || fail "steady child survived the give-up"
log_has 'stopped steady' || fail "steady was not stopped in order"
# The give-up says why: how many restarts in which window, and the last.
log_has 'gave-up root cause="4 restarts in 30 s, last: crasher exited with status 2"' ||
        fail "the give-up does not name its cause: $(grep 'gave-up root' "$LOG")"

# A child killed by a signal is named with it.
cat >killed.conf <<CONF
[supervisor:root]
intensity = 0
period = 1500ms
[group:web]
command = sh -c 'kill -KILL \$\$'
CONF
start_airsupd killed.conf
wait_airsupd_exit 20
log_has 'gave-up root cause="1 restart in 1500 ms, last: web killed by SIGKILL"' ||
        fail "the give-up does not name the signal: $(grep 'gave-up root' "$LOG")"
