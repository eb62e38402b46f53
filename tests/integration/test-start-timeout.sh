# A ready = notify child that never says READY=1 is stopped after
# start_timeout and counts as a failed start (restarted with backoff, counted
# by intensity, even for restart = transient); its later sibling never
# starts.  EXTEND_TIMEOUT_USEC= buys a starting child more time.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[supervisor:root]
intensity = 2
[group:mute]
command = sleep 1000
ready = notify
start_timeout = 300ms
restart = transient
backoff = 10ms
[group:after]
command = sleep 1000
CONF

start_airsupd airsup.conf
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
want='started mute,start-timeout mute,exited mute,started mute,start-timeout mute,exited mute'
want="$want,started mute,start-timeout mute,exited mute,gave-up root"
[ "$(trace 0 '^(started|start-timeout|exited|gave-up) ')" = "$want" ] ||
        fail "trace: $(trace 0 '^(started|start-timeout|exited|gave-up) ')"
# 300 ms from start to timeout (not less).
t0=$(event_time 'started mute' 1)
t1=$(event_time 'start-timeout mute' 1)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.3 && b - a < 5) }' || fail "timeout after $t0 -> $t1"

# A child that asks for more time (EXTEND_TIMEOUT_USEC=) is ready late, not
# timed out.
cat >extend.conf <<'CONF'
[group:slowpoke]
command = sh -c 'systemd-notify EXTEND_TIMEOUT_USEC=2000000; sleep 0.6; systemd-notify --ready; exec sleep 1000'
ready = notify
start_timeout = 300ms
CONF
start_airsupd extend.conf
wait_log 'ready slowpoke'
log_has 'start-timeout' && fail "slowpoke timed out despite EXTEND_TIMEOUT_USEC"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
