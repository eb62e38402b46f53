# Intensity is counted over a sliding window of `period`, as in OTP: with
# intensity 3 and period 2s, a child crashing every 0.9 s (at most 3 crashes
# in any 2 s) runs on for ever; one crashing every 0.4 s (4 crashes within
# 1.2 s) makes the supervisor give up on the 4th crash.
. "$(dirname "$0")/lib.sh"

run() {
        cat >airsup.conf <<CONF
[supervisor:root]
intensity = 3
period = 2s
[group:crasher]
command = sh -c 'sleep $1; exit 1'
backoff = 0
CONF
        start_airsupd airsup.conf
}

run 0.9
wait_log_count 'exited crasher' 7 20
log_has 'gave-up' && fail "gave up at a rate under the limit"
kill -0 "$AIRSUPD_PID" || fail "airsupd is gone"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

run 0.4
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
[ "$(trace 0 '^(exited|gave-up) ')" = 'exited crasher,exited crasher,exited crasher,exited crasher,gave-up root' ] ||
        fail "trace: $(trace 0 '^(exited|gave-up) ')"
