# A group's own process flapping AIRSUP_HEALTH= between degraded and
# healthy 2,000 times as fast as it can, each with AIRSUP_COUNTERS= naming
# a new figure: its health ends as it last said (degraded), its
# degraded/healthy events are at most 5 per 5 s (not thousands pushing
# the history out), and it keeps at most 16 figures in the metrics.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >flap.sh <<'SCRIPT'
"$1" notify "$NOTIFY_SOCKET" READY=1
"$2" health-flap "$NOTIFY_SOCKET" 2000 flap.count
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:flapper]
command = sh $T/flap.sh $HOSTILE $HN
workdir = $T
ready = notify
CONF
start_airsupd airsup.conf
wait_until 30 test -s flap.count || fail "the flapper did not finish"
[ "$(cat flap.count)" -eq 4001 ] || fail "sent $(cat flap.count)"
# The last word, degraded, is what status says (once airsupd read it all).
wait_until 10 eval 'ctl status flapper | grep -q degraded' || fail "not degraded at the end: $(ctl status flapper)"
wait_until 10 eval 'ctl metrics --prometheus | grep -q "^airsup_process_reported{process=\"flapper\",group=\"flapper\",name=\"flaps\"} 4000$"' ||
        fail "the last figure is not there: $(ctl metrics --prometheus | grep reported | head -3)"
[ "$(ctl metrics --prometheus | grep -c '^airsup_process_reported{process="flapper"')" -eq 16 ] ||
        fail "figures kept: $(ctl metrics --prometheus | grep -c '^airsup_process_reported{process="flapper"'), not 16"
events=$(ctl events -n 100000 flapper | grep -Ec ' (degraded|healthy) ')
elapsed=$(( $(date +%s) - $(stat -c %Y airsup.conf) + 1 ))
max=$(( (elapsed / 5 + 2) * 5 ))
[ "$events" -le "$max" ] || fail "$events health events for $elapsed s (at most $max)"
[ "$events" -ge 1 ] || fail "no health event at all"
alive "$AIRSUPD_PID" || fail "airsupd died"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
