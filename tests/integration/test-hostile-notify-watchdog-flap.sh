# A group's own process that sets its watchdog to 10 ms (WATCHDOG_USEC=,
# the least airsupd takes) and pets it every 15 ms for 3 s: every cycle a
# missed deadline (degraded) and a pet (healthy again).  Once, each was an
# event: about 130 a second, pushing every other group's events out of the
# history.  Now a process's probes make at most 5 degraded or healthy
# events per 5 s (the next one let through says how many were held back),
# as STATUS= and AIRSUP_HEALTH= do, and its health in status is the latest.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >flap.sh <<'SCRIPT'
"$1" watchdog-flap "$NOTIFY_SOCKET" 3 flap.count
exec "$1" pet "$NOTIFY_SOCKET" 5 pet.worst
SCRIPT
cat >airsup.conf <<CONF
[group:flapper]
command = sh $T/flap.sh $HN
workdir = $T
ready = notify
health = watchdog
health_interval = 1s
health_threshold = 1000
CONF
start_airsupd airsup.conf
wait_until 30 test -s flap.count || fail "the flapper did not finish"
cycles=$(cat flap.count)
echo "cycles: $cycles"
[ "$cycles" -ge 50 ] || fail "only $cycles cycles: no flapping"
# Petted every 5 ms from now on: healthy in status at the end.
wait_until 10 eval 'ctl status flapper | grep -q " healthy "' || fail "not healthy at the end: $(ctl status flapper)"
events=$(ctl events -n 100000 flapper | grep -Ec ' (degraded|healthy) ')
elapsed=$(( $(date +%s) - $(stat -c %Y airsup.conf) + 1 ))
max=$(( (elapsed / 5 + 2) * 5 ))
echo "health events: $events in $elapsed s"
[ "$events" -le "$max" ] || fail "$events health events for $elapsed s (at most $max)"
[ "$events" -ge 1 ] || fail "no health event at all"
log_has 'restarting flapper' && fail "the flapper was restarted"
alive "$AIRSUPD_PID" || fail "airsupd died"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
