# airsupctl request and subscribe (airsupctl(1)), with real groups: a
# request to a group, and to an actor in one, prints the reply that
# group sent back to airsupctl; one never answered times out (exit 1),
# one to no such name exits 3; a second answer, and one with a forged
# correlation id, are late, dropped and counted (airsupd_inbox_messages_
# total{kind="late_reply"}), never taken for another request's.
# subscribe prints what a group publishes to a matching subject, and
# what airsupctl publish sends, with the sender, in order; --json gives
# one document a message; the subscription ends with its airsupctl.  A
# group that looked up "airsupctl" and scribbles over the lane and the
# bell airsupd gave it (the bell all of airsupd's senders ring), or wipes
# every ring off that bell, cannot crash airsupd nor stop the others'
# replies from coming.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >m.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:server]
command = $PEER server $T
ready = notify
[group:aserver]
command = $PEER actor-server $T
ready = notify
[group:pub]
command = $PEER pub orders.eu.new 3 t $T
restart = temporary
[group:evil]
command = $MSGPEER scribble airsupctl 2
ready = notify
stdout = file:$T/evil.txt
[group:muter]
command = $MSGPEER wipe airsupctl 2
stdout = file:$T/muter.txt
[group:amuter]
command = $MSGPEER wipe aserver 5
ready = notify
stdout = file:$T/amuter.txt
CONF
start_airsupd m.conf
wait_log 'ready aserver' 30

# While the scribbler writes over the inbox's bell and the muter wipes
# every ring off it, requests keep being answered: airsupd looks at each
# lane of its mailbox every 100 ms while one waits, rung or not.
n=0 wiped=0
until grep -q '^done' evil.txt 2>/dev/null && grep -q '^done' muter.txt 2>/dev/null; do
        grep -q '^wiping' muter.txt 2>/dev/null && wiped=$((wiped + 1))
        out=$(ctl request server "x$n" --type 1 --timeout 5) || fail "request $n during the scribbling failed"
        [ "$out" = "X$n" ] || fail "request $n: got '$out'"
        n=$((n + 1))
        [ $n -lt 2000 ] || fail "the scribbler never finished"
done
alive "$AIRSUPD_PID" || fail "airsupd died"
[ $n -gt 0 ] || fail "no request was made while the scribbler wrote"
[ $wiped -gt 0 ] || fail "no request was made while the muter wiped"
echo "requests answered while the bell was scribbled on: $n, wiped: $wiped"
# The same for an actor system's group, whose idle loop looks at its
# lanes every 100 ms whatever its bell says.
wait_until 30 grep -q '^wiping' amuter.txt || fail "the muter of aserver did not start"
n=0
until grep -q '^done' amuter.txt 2>/dev/null; do
        out=$(ctl request aserver/echo "y$n" --type 1 --timeout 5) ||
                fail "request $n to aserver/echo while its bell was wiped failed"
        [ "$out" = "Y$n" ] || fail "request $n to aserver/echo: got '$out'"
        n=$((n + 1))
        [ $n -lt 2000 ] || fail "the muter of aserver never finished"
done
[ $n -gt 0 ] || fail "no request was made to aserver while its bell was wiped"
echo "requests answered by an actor while its bell was wiped: $n"

out=$(ctl request server hello --type 1) || fail "request to server failed"
[ "$out" = HELLO ] || fail "request to server: '$out'"
ctl --json request aserver/echo hi --type 1 >json.out || fail "request to aserver/echo failed"
grep -q '"from":"aserver"' json.out && grep -q '"type":2' json.out && grep -q '"payload":"HI"' json.out ||
        fail "request --json: $(cat json.out)"

ctl request server never --type 5 --timeout 0.3 2>err.out
rc=$?
[ $rc -eq 1 ] || fail "an unanswered request exited $rc, not 1"
grep -q 'No reply in time' err.out || fail "an unanswered request said: $(cat err.out)"
ctl request nosuch x 2>/dev/null
rc=$?
[ $rc -eq 3 ] || fail "a request to no such name exited $rc, not 3"

# Two answers: the first is the reply, the second late.  A forged id:
# no reply, and late.
out=$(ctl request server two --type 6) || fail "request answered twice failed"
[ "$out" = six ] || fail "the first of two answers: '$out'"
ctl request server forged --type 7 --timeout 0.3 2>/dev/null
rc=$?
[ $rc -eq 1 ] || fail "a request answered with a forged id exited $rc, not 1"
late() { ctl metrics --prometheus | grep -q "^airsupd_inbox_messages_total{kind=\"late_reply\"} $1\$"; }
# The forged answer may come after the time ran out; the metric says.
wait_until 10 late 2 || fail "late replies not counted: $(ctl metrics --prometheus | grep inbox)"
# Later requests still get their own replies only.
out=$(ctl request server again --type 1) || fail "request after the late replies failed"
[ "$out" = AGAIN ] || fail "request after the late replies: '$out'"

# subscribe: what is published from the moment it says it subscribed.
ctl subscribe 'orders.>' -n 4 >sub.out 2>sub.err &
sub=$!
wait_until 10 grep -q 'subscribed to orders.>' sub.err || fail "subscribe never said it subscribed: $(cat sub.err)"
out=$(ctl publish orders.x "a b") || fail "publish to airsupctl's own subscription failed"
[ "$out" = "published to orders.x: 1 subscriber reached" ] || fail "publish: '$out'"
ctl restart pub >/dev/null || fail "restart pub failed"
wait_until 20 not_running "$sub" || fail "subscribe -n 4 did not end: $(cat sub.out)"
wait "$sub" || fail "subscribe exited $?"
[ "$(sed -n 1p sub.out)" = '[#1] orders.x from airsupctl type 0: a b' ] || fail "subscribe, first: $(cat sub.out)"
for k in 0 1 2; do
        grep -qx "\[#$((k + 2))\] orders.eu.new from pub type 1: \\\\x0${k}\\\\x00\\\\x00\\\\x00" sub.out ||
                fail "subscribe: message $k of pub missing or out of order: $(cat sub.out)"
done
[ "$(tail -n 1 pub-t)" = 1 ] || fail "pub did not reach airsupctl's subscription: $(cat pub-t)"

# --json, and a pattern with *; a subject it does not match is not shown.
ctl --json subscribe 'alerts.*' -n 1 >jsub.out 2>jsub.err &
sub=$!
wait_until 10 grep -q 'subscribed to' jsub.err || fail "subscribe --json never said it subscribed"
out=$(ctl publish alerts.a.b nope) || fail "publish to alerts.a.b failed"
[ "$out" = "published to alerts.a.b: 0 subscribers reached" ] || fail "alerts.* matched two tokens: '$out'"
ctl publish alerts.cpu '{"load":9}' >/dev/null
wait_until 10 not_running "$sub" || fail "subscribe --json -n 1 did not end"
[ "$(cat jsub.out)" = '{"subject":"alerts.cpu","from":"airsupctl","type":0,"payload":"{\"load\":9}"}' ] ||
        fail "subscribe --json: $(cat jsub.out)"

# The subscriptions ended with their clients.
out=$(ctl publish orders.x gone) || fail "publish after the subscribers left failed"
[ "$out" = "published to orders.x: 0 subscribers reached" ] || fail "a subscription outlived its client: '$out'"
ctl subscribe 'orders..x' 2>/dev/null
rc=$?
[ $rc -eq 2 ] || fail "a bad pattern exited $rc, not 2"

alive "$AIRSUPD_PID" || fail "airsupd died"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
