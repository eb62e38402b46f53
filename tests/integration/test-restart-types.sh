# permanent restarts after any exit, transient only after an abnormal one,
# temporary never.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[supervisor:root]
intensity = 100
[group:perm]
command = sh -c 'echo \$AIRSUP_INCARNATION >> perm.runs; [ \$AIRSUP_INCARNATION -ge 3 ] && exec sleep 1000; exit 0'
backoff = 10ms
[group:trans-ok]
command = sh -c 'echo run >> trans-ok.runs; exit 0'
restart = transient
[group:trans-bad]
command = sh -c 'echo \$AIRSUP_INCARNATION >> trans-bad.runs; [ \$AIRSUP_INCARNATION -ge 2 ] && exec sleep 1000; exit 4'
restart = transient
backoff = 10ms
[group:trans-term]
command = sh -c 'echo run >> trans-term.runs; kill -TERM \$\$'
restart = transient
[group:temp]
command = sh -c 'echo run >> temp.runs; exit 9'
restart = temporary
CONF

start_airsupd airsup.conf
wait_log 'started perm .*incarnation=3'
wait_log 'started trans-bad .*incarnation=2'
wait_log 'not-restarted trans-ok'
wait_log 'not-restarted trans-term'
wait_log 'not-restarted temp'
log_has 'exited trans-bad .*status=4' || fail "trans-bad exit status not reported"
log_has 'exited temp .*status=9' || fail "temp exit status not reported"
log_has 'exited trans-term .*signal=TERM' || fail "trans-term signal not reported"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS after SIGTERM"

# Nothing ran more often than its restart type allows.
[ "$(wc -l <perm.runs)" -eq 3 ] || fail "perm ran $(wc -l <perm.runs) times, expected 3"
[ "$(wc -l <trans-ok.runs)" -eq 1 ] || fail "trans-ok ran more than once"
[ "$(wc -l <trans-bad.runs)" -eq 2 ] || fail "trans-bad ran $(wc -l <trans-bad.runs) times, expected 2"
[ "$(wc -l <trans-term.runs)" -eq 1 ] || fail "trans-term restarted after its stop signal"
[ "$(wc -l <temp.runs)" -eq 1 ] || fail "temp was restarted"
