# A poison message: the sink crashes on message 42 each time it gets it.
# With redeliver = 2 it is handed over three times (redelivered 0, 1, 2),
# then airsupd takes it off the lane before the next start: a dead-letter
# event, and airsupctl dead-letters lists it; every other message arrives,
# and the metrics show the mailbox's figures.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >dl.conf <<CONF
[airsupd]
dead_letters = 5
[supervisor:root]
intensity = 100
period = 1m
[group:sink]
command = $MSGPEER consume $T/out.txt --poison 42
ready = notify
backoff = 0
redeliver = 2
[group:src]
command = $MSGPEER produce sink 100
CONF
start_airsupd dl.conf
wait_log 'ready root' 60
wait_log 'dead-letter sink from=src type=7 len=50 redeliveries=2'
wait_until 30 eval 'grep -q "^99 " out.txt' || fail "message 99 never arrived"
[ "$(grep -c '^42 ' out.txt)" = 3 ] || fail "42 was handed over $(grep -c '^42 ' out.txt) times, not 3"
grep -q '^42 0 src$' out.txt && grep -q '^42 1 src$' out.txt && grep -q '^42 2 src$' out.txt ||
        fail "42's deliveries: $(grep '^42 ' out.txt | tr '\n' ,)"
python3 -c '
import sys
seqs = [int(l.split()[0]) for l in open("out.txt") if l[0].isdigit()]
assert sorted(set(seqs)) == list(range(100)), "missing some"' || fail "not every message arrived"
# airsupctl: the table, --json with the first bytes (42 as a little-endian u64), a filter.
ctl dead-letters | grep -Eq ' sink +src +7 +50 +3  2a00000000000000' || fail "dead-letters: $(ctl dead-letters)"
ctl --json dead-letters sink | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 1 and d[0]["from"] == "src" and d[0]["redeliveries"] == 2 and d[0]["head_hex"].startswith("2a00"), d' ||
        fail "dead-letters --json: $(ctl --json dead-letters sink)"
[ "$(ctl --json dead-letters src)" = "[ ]" ] || [ "$(ctl --json dead-letters src)" = "[]" ] || fail "src has dead letters: $(ctl --json dead-letters src)"
ctl dead-letters nosuch 2>/dev/null; [ $? -eq 3 ] || fail "dead-letters of no such name is not 3"
# The mailbox figures, read from the lane's segment, among the metrics.
ctl metrics --prometheus >prom.txt || fail "metrics failed"
m() { sed -n "s/^$1{process=\"sink\",group=\"sink\"} //p" prom.txt; }
[ "$(m airsup_mailbox_lanes)" = 1 ] || fail "sink's lanes: $(grep mailbox prom.txt)"
[ "$(m airsup_mailbox_dead_letters_total)" = 1 ] || fail "sink's dead letters: $(grep mailbox prom.txt)"
[ "$(m airsup_mailbox_sent_total)" = 100 ] || fail "sent into sink: $(grep mailbox prom.txt)"
[ "$(m airsup_mailbox_received_total)" = 99 ] || fail "received by sink: $(grep mailbox prom.txt)"
[ "$(m airsup_mailbox_depth)" = 0 ] || fail "sink's depth: $(grep mailbox prom.txt)"
ctl status sink | grep -q '^Mailbox of sink: 1 lane, 0 waiting (at most [0-9]* bytes), 100 sent, 99 received, 0 dropped, 0 expired, 0 errors, 1 dead letters$' ||
        fail "status sink: $(ctl status sink)"
if command -v promtool >/dev/null; then
        promtool check metrics <prom.txt || fail "promtool: $(promtool check metrics <prom.txt 2>&1)"
fi
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
