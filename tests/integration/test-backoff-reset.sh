# After a run as long as backoff_max the delay starts again from backoff.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:c]
command = sh -c 'if [ \$AIRSUP_INCARNATION -eq 4 ]; then sleep 0.5; fi; exit 1'
backoff = 50ms
backoff_max = 300ms
CONF

start_airsupd airsup.conf
wait_log_count 'restarting c ' 5 20
grep -E 'restarting c ' "$LOG" | head -n 5 | sed 's/.*delay_ms=//' | tr '\n' ' ' >delays
# Incarnations 1-3 crash at once (50, 100, 200); 4 runs 500 ms > 300 ms,
# so the delay after it is 50 again, then 100.
[ "$(cat delays)" = "50 100 200 50 100 " ] || fail "delays were $(cat delays), expected 50 100 200 50 100"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
