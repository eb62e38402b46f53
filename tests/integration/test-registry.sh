# The registry (airsup(3), REGISTRY), with real processes: a name a
# process registers, and one an actor registers, are looked up like a
# group's name by clients that wait for them, and answer requests; two
# processes racing for one name: one wins, the other gets -EEXIST, and
# wins later only once the winner's process ended (its names go with
# it); a group's name, a name that is not one, and the 1,025th name of a
# process are refused; a lookup of what is not there is -ENOENT at once,
# or after the wait asked for; airsupctl names lists what is registered.
# A process that monitors one target 5,000 times is refused at 4,096, one
# that subscribes to 300 subjects at 256 (a bad pattern, and a publish
# to a pattern, are -EINVAL).  And airsupd's memory stays bounded while
# a process takes every name, subscription and monitor it may, again and
# again, each time killed and restarted (its dead monitors are purged
# to make room for the next one's).
. "$(dirname "$0")/lib.sh"
# The memory bound below is airsupd's, not AddressSanitizer's: its
# quarantine keeps what is freed (256 MB by default), so under ASan the
# RSS grew by 4.0-4.2 MB over the ten rounds whether or not anything
# leaked.  A 1 MB quarantine still catches a use right after a free.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >reg.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:server]
command = $PEER server $T
[group:owner]
command = $PEER reg-owner svc-a $T
[group:aowner]
command = $PEER reg-actor svc-b $T
[group:c1]
command = $PEER reg-client svc-a $T
restart = temporary
[group:c2]
command = $PEER reg-client svc-b $T
restart = temporary
[group:racer]
command = $PEER reg-race the-one $T
instances = 2
restart = temporary
[group:bad]
command = $PEER reg-bad $T
restart = temporary
CONF
start_airsupd reg.conf

wait_until 30 eval '[ "$(grep -c reg-ok registry 2>/dev/null)" -ge 2 ]' || fail "registry: $(cat registry 2>/dev/null)"
grep -qx "reg-ok svc-a" registry && grep -qx "reg-ok svc-b" registry || fail "registry: $(cat registry)"

# airsupctl names shows both, with the instance and actor each leads to.
ctl names | grep -Eq '^svc-a +owner +-$' || fail "names: $(ctl names 2>&1)"
ctl names | grep -Eq '^svc-b +aowner +echo$' || fail "names: $(ctl names 2>&1)"
ctl --json names | python3 -c '
import json, sys
d = {r["name"]: r for r in json.load(sys.stdin)}
assert d["svc-b"]["instance"] == "aowner" and d["svc-b"]["actor"] == "echo", d
assert d["svc-a"]["actor"] is None, d
' || fail "names --json: $(ctl --json names 2>&1)"

wait_until 30 eval '[ "$(cat race-* 2>/dev/null | grep -c .)" -ge 2 ]' || fail "the racers did not both say"
[ "$(cat race-* | grep -cx won)" -eq 1 ] || fail "not exactly one winner: $(cat race-*)"
[ "$(cat race-* | grep -cx 'lost -17')" -eq 1 ] || fail "the loser did not get -EEXIST: $(cat race-*)"
winner=$(grep -lx won race-* | sed 's/race-//')
kill -KILL "$winner"
wait_until 30 eval 'cat race-* | grep -qx won-later' || fail "the name was not released when its owner died: $(cat race-*)"

wait_until 30 grep -q . bad || fail "reg-bad said nothing"
grep -qx bad-ok bad || fail "refusals: $(cat bad)"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status"; }
{ cat reg.conf; printf '[group:churn]\ncommand = %s reg-bad %s/churn owner\nbackoff = 0\n' "$PEER" "$T"; } >reg2.conf
mkdir -p churn
cp reg2.conf reg.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 grep -qx bad-ok churn/bad || fail "the churner did not fill its limits: $(cat churn/bad 2>/dev/null)"
before=$(rss)
for k in 1 2 3 4 5 6 7 8 9 10; do
        : >churn/bad
        kill -KILL "$(group_pid churn)"
        wait_until 30 grep -qx bad-ok churn/bad || fail "round $k: $(cat churn/bad)"
done
after=$(rss)
[ $((after - before)) -lt 4096 ] || fail "airsupd grew from $before to $after kB over 10 rounds of a process at its limits"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
