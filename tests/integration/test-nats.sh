# The bridge to NATS (airsup-nats(8)), with a real nats-server on
# 127.0.0.1 and two airsupd standing for two hosts (each its own control
# socket): what a group on "host A" publishes to orders.eu.new reaches,
# through A's bridge (export = orders.>), the nats-server and B's bridge
# (import = orders.>), the group on B that subscribes to orders.>, every
# message, in order, with its type.  What B's own group publishes to a
# subject B imports and exports (news.>) goes out once and never comes
# back (the bridge does not export its own imports; no_echo): A's
# subscriber sees each message once.  A's bridge exports what was
# published while it was down: a durable subscription queues it.
# --check warns of a credentials file others can read.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "no nats-server (package nats-server)"; exit 77; }
BRIDGE=$(dirname "$AIRSUPD")/airsup-nats
PEER=$(dirname "$AIRSUPD")/tests/req-peer
mkdir -p a b bn bc ac

nats-server -a 127.0.0.1 -p -1 --ports_file_dir "$T" >nats.log 2>&1 &
echo $! >nats.pid
wait_until 10 eval 'ls "$T"/*.ports >/dev/null 2>&1' || fail "nats-server did not start: $(cat nats.log)"
URL=$(grep -o 'nats://127.0.0.1:[0-9]*' "$T"/*.ports | head -n 1)
[ -n "$URL" ] || fail "no port from nats-server: $(cat "$T"/*.ports)"

cat >b.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
import = orders.> news.> svc.>
export = news.>
ready = notify
[group:sub]
command = $PEER sub - $T/b
subscribe = orders.>
ready = notify
[group:npub]
command = $PEER pub news.b 5 nb $T/b
restart = temporary
[group:pricer]
command = $PEER server $T/b
subscribe = svc.price
ready = notify
[group:bclient]
command = $PEER subject-client svc.price 20 $T/bc
restart = temporary
[group:bnews]
command = $PEER sub - $T/bn
subscribe = news.>
ready = notify
CONF
"$AIRSUPD" -c b.conf --log=stderr -v --control "$T/b.control" 2>b.log &
echo $! >b.pid
wait_until 20 grep -q 'ready bridge' b.log || fail "B's bridge not ready: $(tail -5 b.log)"

cat >a.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
export = orders.> news.> svc.>
import = news.>
ready = notify
[group:aclient]
command = $PEER subject-client svc.price 100 $T/ac
restart = temporary
[group:pub]
command = $PEER pub orders.eu.new 200 a $T/a
restart = temporary
[group:nsub]
command = $PEER sub - $T/a
subscribe = news.>
ready = notify
CONF
start_airsupd a.conf
wait_log 'ready bridge' 20

# All 200, in order, on B.
got() { [ "$(cat b/s-* 2>/dev/null | grep -c '^orders.eu.new ')" -ge "$1" ]; }
wait_until 30 got 200 || fail "B got $(cat b/s-* 2>/dev/null | grep -c .) of 200: $(tail -3 "$T"/b.log)"
seq 0 199 | sed 's/^/orders.eu.new /' >want
grep '^orders.eu.new ' b/s-* | sed 's/^[^:]*://' >have
cmp -s want have || fail "B's messages are not 0..199 in order: $(diff want have | head -5)"

# B publishes to news.b: out once through B's bridge, to A; B's bridge
# also imports news.>, and never sends its own import back out.
"$AIRSUPCTL" -s "$T/b.control" restart npub >/dev/null || fail "restart npub on B failed"
wait_until 30 eval '[ "$(grep -c "^news.b " a/s-* 2>/dev/null)" -ge 5 ]' || fail "A got no news from B"
# Nothing more comes: a loop would keep sending them around.
"$AIRSUPCTL" -s "$T/b.control" restart npub >/dev/null
wait_until 30 eval '[ "$(grep -c "^news.b " a/s-* 2>/dev/null)" -ge 10 ]' || fail "A got B's second round late"
"$AIRSUPCTL" -s "$T/control" publish orders.done end >/dev/null
wait_until 30 eval 'grep -q "^orders.done" b/s-*' || fail "the marker did not cross"
[ "$(grep -c '^news.b ' a/s-*)" -eq 10 ] || fail "A got news.b $(grep -c "^news.b " a/s-*) times, not 10: a loop? $(ls a; grep -h "^news.b " a/s-* | sort | uniq -c | tr "\n" " ")"
# B's own subscriber got each of B's messages once, locally: B's export
# did not come back to B (no_echo), nor A's bridge's import of it (A
# exports news.> too, but never what it imported).
# (npub ran three times on B: at B's start, before A was up, and twice.)
[ "$(grep -c '^news.b ' bn/s-*)" -eq 15 ] || fail "B's own subscriber got news.b $(grep -c '^news.b ' bn/s-*) times, not 15"

# The message type crosses with it (a header).
typed_crosses "$T/b.control"

# A type from a NATS client of another kind: in a plain header block,
# which B's bridge reads itself, and in blocks only libnats reads (a line
# folded onto the one before; a status after the version), and one that
# is not a number (no type).
NPEER=$(dirname "$AIRSUPD")/tests/nats-peer
"$AIRSUPCTL" -s "$T/b.control" --json subscribe 'orders.hdr.>' -n 4 >hdr.out 2>hdr.err &
echo $! >hdr.pid
wait_until 10 grep -q subscribed hdr.err || fail "subscribe on B did not start"
"$NPEER" hpub "$URL" orders.hdr.plain 'NATS/1.0|X-A: 1|Airsup-Type: 4||' || fail "hpub failed"
"$NPEER" hpub "$URL" orders.hdr.folded 'NATS/1.0|Airsup-Type: 5|X-B: a| b||' || fail "hpub failed"
"$NPEER" hpub "$URL" orders.hdr.status 'NATS/1.0 200|Airsup-Type:  6 ||' || fail "hpub failed"
"$NPEER" hpub "$URL" orders.hdr.word 'NATS/1.0|Airsup-Type: 7x||' || fail "hpub failed"
wait_until 30 eval '[ "$(grep -c subject hdr.out)" -ge 4 ]' || fail "B got $(grep -c subject hdr.out) of 4: $(cat hdr.out)"
for want in plain:4 folded:5 status:6 word:0; do
        grep -q "\"subject\":\"orders.hdr.${want%:*}\",\"from\":\"bridge\",\"type\":${want#*:}," hdr.out ||
                fail "orders.hdr.${want%:*} did not come with type ${want#*:}: $(cat hdr.out)"
done

# Request/reply to a subject: on B itself, served by B's pricer; from A,
# through both bridges (a NATS request with a reply inbox), the same
# call, every reply to its own request.
wait_until 20 eval 'grep -q . bc/subject' || fail "B's subject client said nothing"
grep -qx 'subject-ok 20 pricer' bc/subject || fail "on B: $(cat bc/subject)"
wait_until 30 eval 'grep -q . ac/subject' || fail "A's subject client said nothing"
grep -qx 'subject-ok 100 bridge' ac/subject || fail "from A across the bridges: $(cat ac/subject)"

# While A's bridge is stopped, what A publishes waits in its lane.
"$AIRSUPCTL" -s "$T/control" stop bridge >/dev/null || fail "stop bridge failed"
"$AIRSUPCTL" -s "$T/control" publish orders.late one >/dev/null
"$AIRSUPCTL" -s "$T/control" start bridge >/dev/null || fail "start bridge failed"
wait_until 30 eval 'grep -q "^orders.late" b/s-*' || fail "what was published while the bridge was down was lost"

# Bad input from NATS: a subject that is not one of airsup's is refused
# and counted, never delivered; a message larger than the subscriber's
# message_max (4096) becomes a dead letter on B saying why.
NPEER=$(dirname "$AIRSUPD")/tests/nats-peer
"$NPEER" pub "$URL" "orders.caf$(printf '\303\251')" 10 || fail "nats-peer pub (odd subject) failed"
"$NPEER" pub "$URL" "orders.$(printf '%0300d' 0)" 10 || fail "nats-peer pub (long subject) failed"
"$NPEER" pub "$URL" orders.big 5000 || fail "nats-peer pub (big) failed"
"$NPEER" pub "$URL" orders.after-bad 10 || fail "nats-peer pub (after) failed"
wait_until 30 eval 'grep -q "^orders.after-bad" b/s-*' || fail "B stopped importing after bad input"
wait_until 10 eval '"$AIRSUPCTL" -s "$T/b.control" dead-letters | grep -q "too big for a subscriber: orders.big"' ||
        fail "no dead letter for the big message: $("$AIRSUPCTL" -s "$T/b.control" dead-letters)"
! grep -q '^orders.caf\|^orders.000\|^orders.big' b/s-* || fail "B delivered what it should have refused"
refused() { "$AIRSUPCTL" -s "$T/b.control" metrics --prometheus |
        sed -n 's/^airsup_process_reported{process="bridge",group="bridge",name="nats_refused"} //p'; }
wait_until 10 eval '[ "$(refused)" -ge 2 ] 2>/dev/null' || fail "refused subjects not counted: '$(refused)'"

# Its figures among airsupd's metrics (AIRSUP_COUNTERS=): this
# incarnation exported orders.late.
outs() { "$AIRSUPCTL" -s "$T/control" metrics --prometheus |
        sed -n 's/^airsup_process_reported{process="bridge",group="bridge",name="nats_out"} //p'; }
wait_until 10 eval '[ "$(outs)" -ge 1 ] 2>/dev/null' || fail "nats_out not among the metrics: '$(outs)'"

# The server goes away: the bridge says it is degraded, and why (an
# event); it comes back: healthy again, and messages cross again.  (What
# A exports before B's bridge has subscribed again is lost: core NATS is
# at most once; test-nats-jetstream shows JetStream's.)
PORT=${URL##*:}
kill -TERM "$(cat nats.pid)"
wait_log 'degraded bridge .*declared=yes.* reason="disconnected from NATS' 20
"$AIRSUPCTL" -s "$T/control" status bridge | grep -q degraded || fail "status does not say degraded: $("$AIRSUPCTL" -s "$T/control" status bridge)"
nats-server -a 127.0.0.1 -p "$PORT" >>nats.log 2>&1 &
echo $! >nats.pid
wait_log 'healthy bridge .*declared=yes' 30
wait_until 30 grep -q 'healthy bridge .*declared=yes' b.log || fail "B's bridge did not say it is healthy again"
# libnats sends B's subscriptions again and flushes them before it says
# it reconnected, so from B's healthy on, what A exports crosses.
"$AIRSUPCTL" -s "$T/control" publish orders.again x >/dev/null
wait_until 30 eval 'grep -q "^orders.again" b/s-*' || fail "nothing crosses after the server came back"

# A secret others can read: a warning at --check.
echo 'not really a secret' >creds
chmod 644 creds
printf '[group:x]\ncommand = /bin/true\nnats = %s\nnats_credentials = %s/creds\n' "$URL" "$T" >c.conf
"$AIRSUPD" --check -c c.conf >check.out 2>&1
grep -q 'c.conf:4: warning: nats_credentials: .* is readable by others' check.out || fail "no warning: $(cat check.out)"
printf '[group:x]\ncommand = /bin/true\nexport = a.>\n' >d.conf
"$AIRSUPD" --check -c d.conf >check2.out 2>&1 && fail "export without nats passed --check"
grep -q 'd.conf:3: export: only for a bridge to NATS' check2.out || fail "export without nats: $(cat check2.out)"

"$AIRSUPCTL" -s "$T/b.control" shutdown >/dev/null
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
