# A group's child that fails its watchdog and will not go: it ignores
# SIGTERM and sends WATCHDOG=trigger (and WATCHDOG=1) as fast as it can
# for 3 s, while airsupd waits out its shutdown grace.  Once, each
# trigger after the first failed the process again: hundreds of
# health-failed events for one incarnation in a second, each a log line
# and a report to the proc table.  Now a failed process is probed no
# more until its next incarnation: one health-failed event, the stop
# goes on as usual (SIGKILL at the end of the grace), and airsupd
# answers throughout.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >dog.sh <<'SCRIPT'
trap '' TERM
"$1" trigger-flood "$NOTIFY_SOCKET" 3 sent
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:dog]
command = sh $T/dog.sh $HN
workdir = $T
ready = notify
health = watchdog
health_interval = 1s
health_threshold = 1
shutdown = 6s
backoff = 30s
CONF
start_airsupd airsup.conf
wait_log 'health-failed dog pid=[0-9]+ incarnation=1'
rc=0; ctl status dog >status.out || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "status failed during the flood ($rc)"
wait_until 20 test -s sent || fail "the flood did not end"
sent=$(cat sent)
echo "WATCHDOG=trigger sent: $sent"
[ "$sent" -ge 100 ] || fail "only $sent triggers were sent: no flood"
wait_log 'exited dog pid=[0-9]+ incarnation=1 signal=KILL reason=health'
n=$(log_count 'health-failed dog pid=[0-9]+ incarnation=1 ')
[ "$n" -eq 1 ] || fail "$n health-failed events for one incarnation"
ctl events -n 1000 >hist.out || fail "events failed"
n=$(grep -Ec 'health-failed dog' hist.out)
[ "$n" -eq 1 ] || fail "$n health-failed events in the history"
rc=0; ctl status dog >status.out || rc=$?
# 3: a row it shows is failed or down.
[ $rc -eq 3 ] || fail "status exited $rc"
grep -q 'failed' status.out || fail "status does not say failed: $(cat status.out)"
echo "ok: one health-failed for $sent triggers"
