# The bridge in JetStream mode (airsup-nats(8)), with a real nats-server
# (JetStream on, its store in the test's directory): 20,000 messages a
# group publishes to audit.x while its bridge (export_jetstream =
# audit.>) is SIGKILLed again and again and the nats-server itself is
# restarted mid-stream all reach the stream: every number is there
# (duplicates counted, none lost).  Then a second deployment's bridge
# (import_jetstream = audit.>) brings every one of them, from the stream,
# to its local subscriber, acknowledging each once it is in the lane.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "no nats-server (package nats-server)"; exit 77; }
BRIDGE=$(dirname "$AIRSUPD")/airsup-nats
PEER=$(dirname "$AIRSUPD")/tests/req-peer
NPEER=$(dirname "$AIRSUPD")/tests/nats-peer
N=20000
KILLS=5
mkdir -p a b js

start_nats() {
        nats-server -a 127.0.0.1 -p "$1" -js -sd "$T/js" --ports_file_dir "$T" >>nats.log 2>&1 &
        echo $! >nats.pid
}
start_nats -1
wait_until 10 eval 'ls "$T"/*.ports >/dev/null 2>&1' || fail "nats-server did not start: $(cat nats.log)"
URL=$(grep -o 'nats://127.0.0.1:[0-9]*' "$T"/*.ports | head -n 1)
PORT=${URL##*:}
wait_until 10 "$NPEER" stream "$URL" AUDIT 'audit.>' || fail "no stream: $(tail -3 nats.log)"

cat >a.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:bridge]
command = $BRIDGE
nats = $URL
export_jetstream = audit.>
mailbox = 4M
backoff = 0
ready = notify
[group:pub]
command = $PEER pub audit.x $N a $T/a
restart = temporary
CONF
start_airsupd a.conf
wait_log 'ready bridge' 20

# Kill the bridge again and again while the stream fills; restart the
# server once in the middle.
stored() { "$NPEER" js-dump "$URL" AUDIT 2>/dev/null | wc -l; }
for k in $(seq 1 $KILLS); do
        pid=$(group_pid bridge)
        [ -n "$pid" ] || fail "no bridge running before kill $k"
        kill -KILL "$pid"
        wait_log_count 'ready bridge' $((k + 1)) 30
        if [ "$k" -eq 2 ]; then
                kill -TERM "$(cat nats.pid)"
                wait_until 10 eval '! kill -0 $(cat nats.pid) 2>/dev/null' || fail "nats-server did not stop"
                start_nats "$PORT"
                wait_until 20 "$NPEER" js-dump "$URL" AUDIT >/dev/null || fail "nats-server did not come back"
        fi
done
wait_until 120 eval '[ "$("$NPEER" js-dump "$URL" AUDIT | sort -un | wc -l)" -ge $N ]' ||
        fail "the stream holds $("$NPEER" js-dump "$URL" AUDIT | sort -un | wc -l) of $N distinct messages"
"$NPEER" js-dump "$URL" AUDIT >dump
seq 0 $((N - 1)) >want
sort -un dump | cmp -s - want || fail "the stream's numbers are not 0..$((N - 1)): $(sort -un dump | diff - want | head -3)"
total=$(wc -l <dump)
# Each went with its type and the bridge's message id (by which the
# stream drops a retry's second copy): the two headers on every one, and
# no id stored twice.
"$NPEER" js-headers "$URL" AUDIT >headers
[ "$(wc -l <headers)" -eq "$total" ] || fail "js-headers listed $(wc -l <headers) of $total messages"
bad=$(grep -cvE '^1 bridge[^ ]*-[0-9a-f]+-[0-9]+$' headers)
[ "$bad" -eq 0 ] || fail "$bad messages without their Airsup-Type or Nats-Msg-Id: $(grep -vE '^1 bridge' headers | head -3)"
[ "$(cut -d' ' -f2 headers | sort | uniq -d | wc -l)" -eq 0 ] || fail "a message id stored twice: $(cut -d' ' -f2 headers | sort | uniq -d | head -3)"
echo "exported: $N messages, $KILLS bridge kills, a server restart: $total in the stream, $((total - N)) duplicates, 0 lost"
grep -qx 1 a/pub-a || fail "the publisher failed: $(cat a/pub-a)"

# The other side: every one of them into a local subscriber.
cat >b.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
import_jetstream = audit.>
ready = notify
[group:sub]
command = $PEER sub - $T/b
subscribe = audit.>
mailbox = 4M
ready = notify
CONF
"$AIRSUPD" -c b.conf --log=stderr -v --control "$T/b.control" 2>b.log &
echo $! >b.pid
wait_until 120 eval '[ "$(cat b/s-* 2>/dev/null | sort -u | wc -l)" -ge $N ]' ||
        fail "B's subscriber got $(cat b/s-* 2>/dev/null | sort -u | wc -l) of $N: $(tail -3 b.log)"
sed 's/^audit.x //' b/s-* | sort -un | cmp -s - want || fail "B's numbers are not 0..$((N - 1))"
echo "imported: $(cat b/s-* | wc -l) deliveries of $N messages"

"$AIRSUPCTL" -s "$T/b.control" shutdown >/dev/null
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
