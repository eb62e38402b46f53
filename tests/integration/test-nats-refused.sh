# Exports NATS does not take (airsup-nats(8)).  A JetStream export that
# no stream takes: the bridge publishes it, nats-server answers "no
# responders" (no stream covers ledger.>), and it stays on its lane,
# tried again every 100 ms rather than in a loop as fast as the server
# answers, the bridge degraded meanwhile; once an operator creates the
# stream, every one of the messages reaches it, none lost.  Then exports
# NATS will never take: one larger than the server's max_payload (core)
# and one larger than its stream's max_msg_size (JetStream, refused by
# the stream) become dead letters, the first at once, the second after
# 10 s of refusals, and what was published after each still goes out.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "no nats-server (package nats-server)"; exit 77; }
BRIDGE=$(dirname "$AIRSUPD")/airsup-nats
PEER=$(dirname "$AIRSUPD")/tests/req-peer
NPEER=$(dirname "$AIRSUPD")/tests/nats-peer
N=200
mkdir -p a js

echo 'max_payload: 2048' >nats.conf
nats-server -c nats.conf -a 127.0.0.1 -p -1 -js -sd "$T/js" --ports_file_dir "$T" >>nats.log 2>&1 &
echo $! >nats.pid
wait_until 10 eval 'ls "$T"/*.ports >/dev/null 2>&1' || fail "nats-server did not start: $(cat nats.log)"
URL=$(grep -o 'nats://127.0.0.1:[0-9]*' "$T"/*.ports | head -n 1)
# A stream for something else, so that JetStream is up and answering.
wait_until 10 "$NPEER" stream "$URL" OTHER 'other.>' || fail "no stream: $(tail -3 nats.log)"

cat >a.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
export_jetstream = ledger.>
ready = notify
[group:pub]
command = $PEER pub ledger.x $N a $T/a
restart = temporary
CONF
start_airsupd a.conf
wait_log 'ready bridge' 20

# The bridge's counter NAME, from airsupd's metrics (on CONTROL, else A's).
counter() { "$AIRSUPCTL" -s "${2:-$T/control}" metrics --prometheus |
        sed -n "s/^airsup_process_reported{process=\"bridge\",group=\"bridge\",name=\"$1\"} //p"; }
wait_until 10 eval '[ "$(counter nats_js_failures)" -ge 3 ] 2>/dev/null' ||
        fail "no refused JetStream export counted: '$(counter nats_js_failures)'"
"$AIRSUPCTL" -s "$T/control" status bridge | grep -q degraded ||
        fail "a held export does not make the bridge degraded: $("$AIRSUPCTL" -s "$T/control" status bridge)"
wait_log 'degraded bridge .*reason="NATS did not take an export to ledger.x' 10
# Tried again at about 10 a second: over the next two seconds (about 20
# more tries) never hundreds, which a retry as fast as the server says
# no would be.
f0=$(counter nats_js_failures)
t0=$(date +%s%N)
wait_until 10 eval '[ $(( $(date +%s%N) - t0 )) -ge 2000000000 ]'
f1=$(counter nats_js_failures)
[ $((f1 - f0)) -le 100 ] || fail "a refused export was tried $((f1 - f0)) times in about 2 s"
[ "$(counter nats_js_acks)" = 0 ] || fail "acknowledged without a stream: $(counter nats_js_acks)"
echo "refused: $f1 tries, $((f1 - f0)) in the last 2 s"

# The operator adds the stream: everything that waited in the lane goes.
"$NPEER" stream "$URL" LEDGER 'ledger.>' || fail "cannot add the stream"
wait_until 20 eval '[ "$("$NPEER" js-dump "$URL" LEDGER | sort -un | wc -l)" -ge $N ]' ||
        fail "the stream holds $("$NPEER" js-dump "$URL" LEDGER | sort -un | wc -l) of $N"
"$NPEER" js-dump "$URL" LEDGER | sort -un >dump
seq 0 $((N - 1)) >want
cmp -s dump want || fail "the stream's numbers are not 0..$((N - 1)): $(diff dump want | head -3)"
echo "stored: $N of $N after the stream was added"
wait_log 'healthy bridge' 10

# Never taken: a dead letter each, and the exports behind them go on.
"$NPEER" stream "$URL" SIZED 'sized.>' 100 || fail "cannot add the stream SIZED"
mkdir -p b
cat >b.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
export = big.>
export_jetstream = sized.>
ready = notify
[group:pubbig]
command = $PEER pub-big big.x 50 4000 big $T/b
restart = temporary
[group:pubsized]
command = $PEER pub-big sized.x 5 500 sized $T/b
restart = temporary
CONF
"$AIRSUPD" -c b.conf --log=stderr -v --control "$T/b.control" 2>b.log &
echo $! >b.pid
wait_until 30 eval '"$AIRSUPCTL" -s "$T/b.control" dead-letters | grep -q "refused by NATS: big.x"' ||
        fail "no dead letter for the export larger than max_payload: $("$AIRSUPCTL" -s "$T/b.control" dead-letters); $(tail -5 b.log)"
wait_until 30 eval '"$AIRSUPCTL" -s "$T/b.control" dead-letters | grep -q "refused by NATS: sized.x"' ||
        fail "no dead letter for the export the stream refused: $("$AIRSUPCTL" -s "$T/b.control" dead-letters)"
wait_until 10 eval '[ "$("$NPEER" js-dump "$URL" SIZED | wc -l)" -ge 5 ]' ||
        fail "the stream SIZED holds $("$NPEER" js-dump "$URL" SIZED | wc -l) of the 5 after the refused one"
wait_until 10 eval '[ "$(counter nats_out "$T/b.control")" -ge 55 ] 2>/dev/null' ||
        fail "exports after the dead letters: nats_out $(counter nats_out "$T/b.control"), not 55"
[ "$(counter nats_export_dead "$T/b.control")" = 2 ] || fail "nats_export_dead $(counter nats_export_dead "$T/b.control"), not 2"
echo "dead letters: big.x at once, sized.x after the stream's refusals; 55 exported after them"
"$AIRSUPCTL" -s "$T/b.control" shutdown >/dev/null

"$AIRSUPCTL" -s "$T/control" shutdown >/dev/null
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
kill -TERM "$(cat nats.pid)" 2>/dev/null || true
