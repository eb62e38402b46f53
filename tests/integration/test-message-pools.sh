# Many senders, and pools: 12 instances of fan send to one sink (13
# records for it at its start, more than a Unix socket queues unread:
# airsupd keeps the rest until it reads), and 12 instances of src look up
# the pool work of 3: each lookup gets the next running instance, so each
# worker serves 4 of them; every message arrives.  A worker restarted
# gets its lanes, and what was queued in them, back.
. "$(dirname "$0")/lib.sh"

cat >pool.conf <<CONF
[supervisor:root]
intensity = 100
[group:sink]
command = $MSGPEER consume $T/sink.txt
ready = notify
[group:work]
command = $MSGPEER consume $T/work-%i.txt
instances = 3
ready = notify
backoff = 0
[group:fan]
command = $MSGPEER produce sink 300
instances = 12
[group:src]
command = $MSGPEER produce work 200
instances = 12
CONF
start_airsupd pool.conf
wait_log 'ready root' 60
# Kill the sink while its lanes are queued.
wait_until 30 eval '[ "$(wc -l <sink.txt)" -ge 500 ]' || fail "the sink got $(wc -l <sink.txt) messages"
kill -KILL "$(group_pid sink)"
wait_until 60 eval '[ "$(grep -c "^299 " sink.txt)" -ge 12 ]' || fail "not every fan instance got through: $(grep '^299 ' sink.txt)"
for i in 0 1 2; do
        wait_until 30 eval '[ "$(grep -c "^199 " work-'$i'.txt 2>/dev/null)" -ge 4 ]' ||
                fail "work[$i] finished $(grep -c '^199 ' work-$i.txt) senders, not 4"
done
python3 - <<'PY' || fail "the messages are not whole"
import collections
def load(f):
    per = collections.defaultdict(set)
    for line in open(f):
        s, red, sender = line.split()
        per[sender].add(int(s))
    return per
sink = load("sink.txt")
assert len(sink) == 12 and all(v == set(range(300)) for v in sink.values()), {k: len(v) for k, v in sink.items()}
senders = set()
for i in range(3):
    w = load(f"work-{i}.txt")
    assert len(w) == 4 and all(v == set(range(200)) for v in w.values()), (i, {k: len(v) for k, v in w.items()})
    senders |= set(w)
assert senders == {f"src[{i}]" for i in range(12)}, senders
PY
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
