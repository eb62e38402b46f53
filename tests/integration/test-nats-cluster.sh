# The bridge through a two-node NATS cluster (two nats-server processes
# with routes on 127.0.0.1): host A's bridge connects to one server, host
# B's to the other; 500 messages A's group publishes reach B's subscriber,
# in order, and B's answers on another subject come back to A.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "no nats-server (package nats-server)"; exit 77; }
BRIDGE=$(dirname "$AIRSUPD")/airsup-nats
PEER=$(dirname "$AIRSUPD")/tests/req-peer
mkdir -p a b

# Four free ports: two for clients, two for the routes.
set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
C1=$1 C2=$2 R1=$3 R2=$4
nats-server -a 127.0.0.1 -p "$C1" --cluster_name t --cluster "nats://127.0.0.1:$R1" \
        --routes "nats://127.0.0.1:$R2" >n1.log 2>&1 &
echo $! >n1.pid
nats-server -a 127.0.0.1 -p "$C2" --cluster_name t --cluster "nats://127.0.0.1:$R2" \
        --routes "nats://127.0.0.1:$R1" >n2.log 2>&1 &
echo $! >n2.pid
# The route is up when each server says so.
wait_until 20 eval 'grep -qi "route connection created" n1.log && grep -qi "route connection created" n2.log' ||
        fail "the servers did not route: $(tail -3 n1.log n2.log)"

cat >b.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = nats://127.0.0.1:$C2
import = orders.>
export = replies.>
[group:sub]
command = $PEER sub - $T/b
subscribe = orders.>
ready = notify
[group:answer]
command = $PEER pub replies.b 50 b $T/b
restart = temporary
CONF
"$AIRSUPD" -c b.conf --log=stderr -v --control "$T/b.control" 2>b.log &
echo $! >b.pid
wait_until 20 grep -q 'ready bridge' b.log || fail "B's bridge not ready: $(tail -5 b.log)"

# B's interest reaches the other server over the route a moment after B
# subscribed (core NATS drops what nobody wants): probe until it has.
NPEER=$(dirname "$AIRSUPD")/tests/nats-peer
wait_until 20 eval '"$NPEER" pub nats://127.0.0.1:$C1 orders.probe 1 && grep -q "^orders.probe" b/s-*' ||
        fail "B's subscription never reached the other server"

cat >a.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = nats://127.0.0.1:$C1
export = orders.>
import = replies.>
environment = AIRSUP_NATS_INTERNALS=no
[group:nsub]
command = $PEER sub - $T/a
subscribe = replies.>
ready = notify
[group:pub]
command = $PEER pub orders.eu.new 500 a $T/a
restart = temporary
CONF
start_airsupd a.conf
wait_log 'ready bridge' 20

got() { [ "$(grep -c '^orders.eu.new ' b/s-* 2>/dev/null)" -ge 500 ]; }
wait_until 30 got || fail "B got $(grep -c . b/s-* 2>/dev/null) of 500 through the cluster"
seq 0 499 | sed 's/^/orders.eu.new /' >want
grep -h '^orders.eu.new ' b/s-* >have
cmp -s want have || fail "B's messages are not 0..499 in order"

# A's bridge keeps to the calls nats.h declares (AIRSUP_NATS_INTERNALS=no):
# the type crosses all the same, in a header set the documented way.
wait_log 'keeps to the calls nats.h declares .AIRSUP_NATS_INTERNALS=no' 10
typed_crosses "$T/b.control"

# And back: B's group answers (its first round ran before A was up).
"$AIRSUPCTL" -s "$T/b.control" restart answer >/dev/null || fail "restart answer failed"
wait_until 30 eval '[ "$(grep -c "^replies.b " a/s-* 2>/dev/null)" -ge 50 ]' || fail "A got no answers from B"
seq 0 49 | sed 's/^/replies.b /' >want2
grep -h '^replies.b ' a/s-* >have2
cmp -s want2 have2 || fail "A's answers are not 0..49 in order"

"$AIRSUPCTL" -s "$T/b.control" shutdown >/dev/null
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
