# Monitors (airsup(3), MONITORS), with real processes and real signals: a
# plain program and an actor monitor a group's process; SIGKILL is a DOWN
# saying killed by signal 9, an exit with status 3 one saying exited 3,
# the operator's stop one saying stopped; monitoring what is not up is
# NOPROC at once; each DOWN comes once per monitor.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >mon.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:target]
command = $PEER lifecycle $T
ready = notify
backoff = 0
[group:watcher]
command = $PEER watcher target $T
ready = notify
[group:awatcher]
command = $PEER actor-watcher target $T
CONF
start_airsupd mon.conf
# The watcher monitors when told (airsupctl send watcher 9), the target
# being up, or, for NOPROC, down.
monitor_now() {
        n=$(grep -cx monitoring watch 2>/dev/null)
        ctl send watcher 9 go >/dev/null || fail "airsupctl send to the watcher failed"
        wait_until 30 eval '[ "$(grep -cx monitoring watch)" -gt ${n:-0} ]' || fail "the watcher did not monitor: $(cat watch)"
}
wait_log 'ready target' 30
wait_log 'ready watcher' 30
monitor_now
wait_until 30 grep -qx monitoring awatch || fail "the actor did not monitor: $(cat awatch 2>/dev/null)"

kill -KILL "$(group_pid target)"
wait_until 30 grep -qx "down target 2 9" watch || fail "no DOWN for the SIGKILL: $(cat watch)"
wait_until 30 grep -qx "actor-down target 2 9" awatch || fail "the actor got no DOWN: $(cat awatch)"

wait_log_count 'ready target' 2 30
monitor_now
ctl send target 8 exit >/dev/null || fail "airsupctl send failed"
wait_until 30 grep -qx "down target 1 3" watch || fail "no DOWN for the exit 3: $(cat watch)"

wait_until 30 test -s exiting || fail "the target did not exit 3"
wait_log_count 'ready target' 3 30
monitor_now
ctl stop target >/dev/null
wait_until 30 grep -qx "down target 3 0" watch || fail "no DOWN for the operator's stop: $(cat watch)"
monitor_now
wait_until 30 grep -qx noproc watch || fail "no NOPROC for a target that is not up: $(cat watch)"
# Once each: the actor's one monitor said DOWN once.
[ "$(grep -c actor-down awatch)" -eq 1 ] || fail "the actor's monitor fired more than once: $(cat awatch)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
