# A transient supervisor that gives up is not restarted by its parent: as
# in OTP, where a supervisor that exceeds its intensity exits with reason
# shutdown and a transient child is restarted only after an abnormal exit.
# A permanent one beside it is restarted; the root goes on with both.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[supervisor:root]
intensity = 5
period = 1m
[supervisor:fragile]
restart = transient
intensity = 0
[group:crasher]
parent = fragile
command = sh -c 'until [ -e go ]; do sleep 0.02; done; exit 3'
[supervisor:sturdy]
restart = permanent
intensity = 0
[group:crasher2]
parent = sturdy
command = sh -c 'until [ -e go2 ]; do sleep 0.02; done; rm -f go2; exit 3'
[group:bystander]
command = sleep 1000
CONF
start_airsupd airsup.conf
wait_log 'ready root'
touch go
wait_log 'not-restarted fragile'
log_has 'gave-up fragile' || fail "fragile did not give up"
mark=$(log_mark)
touch go2
wait_log 'gave-up sturdy'
expect_trace "$mark" '^(started|not-restarted) ' 'started crasher2'
log_has 'started crasher incarnation=2|started crasher pid=[0-9]+ incarnation=2' &&
        fail "the transient supervisor's child was started again"
alive "$(group_pid bystander)" || fail "the bystander was touched"
not_running "$AIRSUPD_PID" && fail "airsupd exited"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
