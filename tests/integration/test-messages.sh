# Messages between groups through airsupd's lanes and libairsup: a
# producer sends 20000 numbered messages to a sink that is SIGKILLed
# mid-stream five times, each while it holds a message between taking and
# committing it; every number arrives, in order, with its exact bytes, a
# second delivery flagged as one; the lane outlives both.  Then the
# producer is killed and restarted too, lookups of what is not there fail
# cleanly, bad arguments are -EINVAL, a child that sends garbage on its
# channel has it closed, and a child outside airsupd cannot attach.
. "$(dirname "$0")/lib.sh"

N=20000
cat >msg.conf <<CONF
[supervisor:root]
intensity = 1000
period = 1m
[group:sink]
command = $MSGPEER consume $T/out.txt --hold-every 3000 --holds 5
ready = notify
backoff = 0
[group:src]
command = $MSGPEER produce sink $N $T/first.txt
backoff = 0
[group:args]
command = $MSGPEER bad-args
stdout = file:$T/args.txt
[group:garbage]
command = $HOSTILE chan-garbage $T/garbage.txt
CONF
start_airsupd msg.conf
wait_log 'ready root' 60
wait_log 'lane src -> sink \(index 0\)'

count() { grep -c '^[0-9]' out.txt 2>/dev/null || echo 0; }
# Kill the sink five times while the stream flows, each time while it
# holds a message it took and did not commit (messages 2999, 5999, ...).
for k in 1 2 3 4 5; do
        wait_until 60 eval '[ "$(grep -c "^HOLD " out.txt)" -ge '"$k"' ]' || fail "the sink got $(count) messages, held $((k - 1))"
        old=$(group_pid sink)
        kill -KILL "$old"
        wait_until 10 eval '[ "$(group_pid sink)" != "$old" ]' || fail "the sink was not restarted"
done
# And the producer once, mid-stream: its successor goes on from where it got to.
old=$(group_pid src)
kill -KILL "$old"
wait_until 10 eval '[ "$(group_pid src)" != "$old" ]' || fail "the producer was not restarted"
wait_until 120 eval 'grep -q "^$((N - 1)) " out.txt' || fail "message $((N - 1)) never arrived ($(count) lines)"

python3 - "$N" <<'PY' || fail "the stream is not whole: see above"
import sys
n = int(sys.argv[1])
seqs, last, dups, bad = [], -1, 0, []
for line in open("out.txt"):
    f = line.split()
    if f[0] == "HOLD":
        continue
    if f[0] in ("CORRUPT", "ERROR"):
        bad.append(line.strip())
        continue
    s, red, sender = int(f[0]), int(f[1]), f[2]
    assert sender == "src", line
    if s == last:
        dups += 1                      # a message taken again after a kill
    elif s < last:
        # a killed producer's successor sends again what it had not
        # recorded as sent: only what was just before
        assert last - s < 2, f"{s} after {last}"
        dups += 1
    seqs.append(s)
    last = max(last, s)
assert not bad, bad[:5]
missing = set(range(n)) - set(seqs)
assert not missing, f"missing {sorted(missing)[:10]}"
print(f"{len(seqs)} deliveries of {n} messages, {dups} again", file=sys.stderr)
PY
# Each held message came again, flagged.
for s in 2999 5999 8999 11999 14999; do
        grep -q "^$s 1 src$" out.txt || fail "held message $s was not redelivered flagged"
done

# Lookups of what is not there, and bad arguments, in a real child.
wait_until 10 test -s args.txt || fail "bad-args printed nothing"
grep -q '^ok 0$' args.txt || fail "bad arguments: $(cat args.txt)"
# A child that sends garbage on its channel, never having attached,
# gets no mailbox (no other record), an error for its lookup and for
# each of 16 bad records, then the channel is closed; airsupd and the
# stream go on.
wait_until 10 test -s garbage.txt || fail "the garbage child got no answer"
grep -Eq '^errors=17 refused=[0-9]+ other=0 closed$' garbage.txt || fail "garbage: $(cat garbage.txt)"
wait_log 'garbage pid [0-9]+: 16 malformed records on its channel, closed'
kill -0 "$AIRSUPD_PID" || fail "airsupd died of a child's garbage"
# Outside airsupd: a clear error, not a crash.
"$MSGPEER" attach >attach.txt; [ $? -eq 1 ] && grep -q '^ENOTCONN$' attach.txt || fail "attach outside airsupd: $(cat attach.txt)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
