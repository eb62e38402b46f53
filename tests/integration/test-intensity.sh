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
