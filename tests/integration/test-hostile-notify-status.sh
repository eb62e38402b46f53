# A group's own process sending STATUS= as fast as it can for 3 s (issue
# 24, hole 12), while another group crashes once.  Once, each STATUS= was
# an event: hundreds of thousands of them pushed the other group's crash
# out of the history, wrote a log line each and cut off an operator's
# `events -f`.  Now a process's STATUS= are events at most 5 times per
# 5 s: the crash stays in `airsupctl events`, the flooder's status events
# are few, its latest text is in `airsupctl status`, and a follower
# keeps following.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >flood.sh <<'SCRIPT'
"$1" notify "$NOTIFY_SOCKET" READY=1
until [ -e go ]; do sleep 0.02; done
"$2" status-flood "$NOTIFY_SOCKET" 3 "final words" flood.count
exec sleep 1000
SCRIPT
cat >victim.sh <<'SCRIPT'
[ -e crashed ] && exec sleep 1000
until [ -e go ]; do sleep 0.02; done
sleep 1
touch crashed
exit 3
SCRIPT
cat >airsup.conf <<CONF
[group:flooder]
command = sh $T/flood.sh $HOSTILE $HN
workdir = $T
ready = notify
[group:victim]
command = sh $T/victim.sh
workdir = $T
backoff = 10ms
CONF
start_airsupd airsup.conf
wait_log 'started victim'
"$AIRSUPCTL" -s "$T/control" events -f -n 0 >follow.out 2>&1 &
follower=$!
echo $follower >follower.pid
touch go
wait_until 20 test -s flood.count || fail "the flood did not end"
wait_log 'started victim pid=[0-9]+ incarnation=2'
sent=$(cat flood.count)
echo "STATUS= sent: $sent"
[ "$sent" -ge 500 ] || fail "only $sent STATUS= were sent: no flood"

ctl events -n 1000 >hist.out || fail "events failed"
grep -Eq 'exited victim pid=[0-9]+ incarnation=1 status=3' hist.out ||
        fail "the victim's crash is gone from the history: $(grep -c 'status flooder' hist.out) status events"
n=$(grep -c 'status flooder' hist.out)
[ "$n" -ge 1 ] && [ "$n" -le 8 ] || fail "$n status events for $sent STATUS= (at most 8 expected)"
n=$(log_count 'status flooder')
[ "$n" -le 8 ] || fail "$n status lines in the log for $sent STATUS="
wait_until 10 eval 'ctl status flooder | grep -q "final words"' ||
        fail "status does not show the latest text: $(ctl status flooder)"
alive "$follower" || fail "the events -f follower was cut off"
wait_until 10 grep -Eq 'exited victim pid=[0-9]+ incarnation=1 status=3' follow.out ||
        fail "the follower did not see the crash"
kill "$follower"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
