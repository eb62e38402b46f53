# Escalation two levels up.  inner (intensity 1) gives up on its crasher's
# second crash and fails; mid (intensity 1, one_for_all) restarts inner and
# its sibling the first time, and gives up the second time; root
# (intensity 0) gives up at once and airsupd exits 1.  Every process is
# stopped, each in reverse order, before that.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[supervisor:root]
intensity = 0
[group:first]
command = sleep 1000
[supervisor:mid]
strategy = one_for_all
intensity = 1
period = 1m
[group:bystander]
parent = mid
command = sleep 1000
[supervisor:inner]
parent = mid
intensity = 1
period = 1m
[group:crasher]
parent = inner
command = sh -c 'sleep 0.2; exit 3'
backoff = 10ms
[group:last]
command = sleep 1000
CONF

start_airsupd airsup.conf
wait_log 'ready first'
first=$(group_pid first)
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"

# crasher is ready at exec, so 'last' starts once mid is first ready.
EV='^(gave-up|escalated|exited crasher|started (crasher|bystander|last)|stopping|ready (mid|inner))'
want='started bystander,started crasher,ready inner,ready mid,started last'
want="$want,exited crasher,started crasher,exited crasher,gave-up inner,escalated inner"
want="$want,stopping bystander,started bystander,started crasher,ready inner,ready mid"
want="$want,exited crasher,started crasher,exited crasher,gave-up inner,escalated inner"
want="$want,gave-up mid,stopping bystander,escalated mid"
want="$want,gave-up root,stopping last,stopping first"
[ "$(trace 0 "$EV")" = "$want" ] || fail "trace: got '$(trace 0 "$EV")', want '$want'"
gone "$first" || fail "first still runs"
for g in bystander crasher last; do
        pid=$(group_pid $g)
        gone "$pid" || fail "$g ($pid) still runs"
done
log_has 'root supervisor gave up' || fail "no final message"
