# A sender in an event loop: sends with AIRSUP_FAIL into a small mailbox
# whose receiver starts late, and on -EAGAIN polls the destination's fd
# until the receiver made room; it is woken every time (no wait runs into
# its 10 s bound), it did have to wait, and every message arrives in order.
. "$(dirname "$0")/lib.sh"

cat >poll.conf <<CONF
[group:sink]
command = $MSGPEER consume $T/out.txt --gate $T/gate
ready = notify
mailbox = 4K
message_max = 128
[group:src]
command = $MSGPEER produce-poll sink 5000
stdout = file:$T/src.txt
CONF
mkfifo gate
start_airsupd poll.conf
wait_log 'ready root' 60
# The receiver waits at its gate: the lane fills and the sender waits on
# its fd; then the receiver is let go, and wakes it.
wait_until 30 grep -q '^waiting$' src.txt || fail "the sender never had to wait: $(cat src.txt)"
: >gate      # opened, not written: the receiver only waits for an open, and may be gone before a write
wait_until 120 grep -q '^sent ' src.txt || fail "the sender did not finish: $(tail -3 out.txt)"
grep -Eq '^sent 5000, waited [1-9][0-9]* times$' src.txt || fail "the sender says: $(cat src.txt)"
log_has 'exited src' && fail "the sender exited (a wake-up was lost)"
wait_until 60 eval 'grep -q "^4999 " out.txt' || fail "message 4999 never arrived"
python3 -c '
seqs = [int(l.split()[0]) for l in open("out.txt")]
assert seqs == list(range(5000)), (len(seqs), seqs[:5])' || fail "the messages are not all there in order"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
