# Publish/subscribe (airsup(3), PUBLISH AND SUBSCRIBE), with real
# processes: a group's configured subscription (orders.>) gets what is
# published to orders.eu.new, with the subject; a pool's (jobs.*) shares
# 300 messages, each to one instance, in turn (about 100 each); a pool with subscribe_all
# gets each message on every instance; a run-time subscription (prices.*)
# matches one token and not two, and ends with its process; two actors
# subscribed in one process each get what is published; publishing to a
# subject nobody wants reaches 0; and a configured subscription keeps the
# messages published while its group is stopped, for when it starts.
# airsupctl publish and send reach groups too.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
mkdir -p dur q all rt act inbox
base() {
        cat <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:dur]
command = $PEER sub - $T/dur
ready = notify
subscribe = orders.>
[group:qpool]
command = $PEER sub - $T/q
instances = 3
ready = notify
subscribe = jobs.*
[group:apool]
command = $PEER sub - $T/all
instances = 2
ready = notify
subscribe = news.>
subscribe_all = yes
[group:rt]
command = $PEER sub prices.* $T/rt
ready = notify
[group:act]
command = $PEER sub-actors alerts.> $T/act
ready = notify
[group:inbox]
command = $PEER route-worker $T/inbox
ready = notify
CONF
}
pubs() {
        for p in "$@"; do
                set -- $p
                printf '[group:pub-%s]\ncommand = %s pub %s %s %s %s\nrestart = temporary\n' "$3" "$PEER" "$1" "$2" "$3" "$T"
        done
}
base >ps.conf
start_airsupd ps.conf
wait_log 'ready root' 30

{ base; pubs "orders.eu.new 10 o" "jobs.build 300 j" "news.sport 5 n" "prices.acme 7 p" "prices.eu.acme 3 p2" \
        "alerts.fire 4 a" "nobody.here 1 z"; } >ps.conf
ctl reload >/dev/null || fail "reload failed"
for tag in o j n p p2 a z; do
        wait_until 30 test -s "pub-$tag" || fail "publisher $tag did not finish"
done
[ "$(cat pub-o)" = 1 ] && [ "$(cat pub-j)" = 1 ] && [ "$(cat pub-n)" = 2 ] && [ "$(cat pub-p)" = 1 ] &&
        [ "$(cat pub-p2)" = 0 ] && [ "$(cat pub-a)" = 1 ] && [ "$(cat pub-z)" = 0 ] ||
        fail "reached: o $(cat pub-o) j $(cat pub-j) n $(cat pub-n) p $(cat pub-p) p2 $(cat pub-p2) a $(cat pub-a) z $(cat pub-z)"

lines() { cat "$@" 2>/dev/null | grep -c .; }
wait_until 30 eval '[ "$(lines dur/s-*)" -eq 10 ] && [ "$(lines q/s-*)" -eq 300 ] && [ "$(lines all/s-*)" -eq 10 ] &&
        [ "$(lines rt/s-*)" -eq 7 ] && [ "$(lines act/a-*)" -eq 8 ]' ||
        fail "arrived: dur $(lines dur/s-*) q $(lines q/s-*) all $(lines all/s-*) rt $(lines rt/s-*) act $(lines act/a-*)"
[ "$(grep -c '^orders.eu.new ' dur/s-*)" -eq 10 ] || fail "the subject did not come with the message: $(head -n 2 dur/s-*)"
[ "$(ls q | wc -l)" -eq 3 ] || fail "the queue group used $(ls q | wc -l) instances"
for f in q/s-*; do
        [ "$(lines "$f")" -ge 90 ] && [ "$(lines "$f")" -le 110 ] ||
                fail "queue group: $f got $(lines "$f") of 300 ($(for g in q/s-*; do lines "$g"; done))"
done
[ "$(sort -u q/s-* | wc -l)" -eq 300 ] || fail "a message reached two instances of the queue group"
for f in all/s-*; do
        [ "$(lines "$f")" -eq 5 ] || fail "subscribe_all: $f got $(lines "$f"), not 5"
done
[ "$(grep -c '^one alerts.fire ' act/a-*)" -eq 4 ] && [ "$(grep -c '^two alerts.fire ' act/a-*)" -eq 4 ] ||
        fail "actors: $(cat act/a-*)"

# The operator: airsupctl publish reaches the configured subscriber, and
# airsupctl send a group, as the sender "airsupctl" that no group can be.
ctl publish orders.ops hello | grep -qx "published to orders.ops: 1 subscriber reached" ||
        fail "airsupctl publish: $(ctl publish orders.ops hello 2>&1)"
wait_until 30 eval 'grep -q "^orders.ops " dur/s-*' || fail "airsupctl's publish did not arrive"
ctl send inbox 1 ABCD >/dev/null || fail "airsupctl send failed"
wait_until 30 eval 'grep -qx 1145258561 inbox/w-*' || fail "airsupctl's message did not arrive: $(cat inbox/w-* 2>/dev/null)"
ctl send nosuch 1 x >/dev/null 2>&1; [ $? -eq 3 ] || fail "airsupctl send to nothing did not exit 3"
ctl publish 'bad.*' x >/dev/null 2>&1; [ $? -eq 2 ] || fail "airsupctl publish to a pattern did not exit 2"

# A run-time subscription ends with its process: nobody is reached.
ctl stop rt >/dev/null
{ base; pubs "prices.acme 1 p3"; } >ps.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 test -s pub-p3 || fail "publisher p3 did not finish"
[ "$(cat pub-p3)" = 0 ] || fail "a subscription outlived its process: reached $(cat pub-p3)"

# A configured subscription: what is published while the group is
# stopped waits in its lane, and arrives when it starts.
ctl stop dur >/dev/null
{ base; pubs "orders.late 5 o2"; } >ps.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 test -s pub-o2 || fail "publisher o2 did not finish"
[ "$(cat pub-o2)" = 1 ] || fail "a stopped group's configured subscription reached $(cat pub-o2)"
ctl start dur >/dev/null
wait_until 30 eval '[ "$(grep -c "^orders.late " dur/s-* | awk -F: "{ s += \$NF } END { print s }")" -eq 5 ]' ||
        fail "the messages published while dur was stopped did not all arrive: $(cat dur/s-* | tail -n 3)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
