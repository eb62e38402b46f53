# A group that writes garbage all over the lane and the bell airsupd gave
# it (an attacker with its own fds, not the library) cannot crash airsupd
# or the receiver, nor disturb another sender's lane: the honest
# producer's messages all arrive, in order and exact, the receiver reads
# on (a garbled lane is one -EBADMSG, then closed), and airsupd keeps
# serving.  The honest producer starts only once the bell's header is
# garbage (the scribbler is ready then), and the receiver is restarted on
# that bell: neither may trust what a sender can write.  Meanwhile another
# group wipes every ring off the receiver's bell, over and over: the
# receiver looks at its lanes itself when nothing rang for a while.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >h.conf <<CONF
[supervisor:root]
intensity = 100
[group:sink]
command = $MSGPEER consume $T/out.txt
ready = notify
[group:evil]
command = $MSGPEER scribble sink 3
ready = notify
stdout = file:$T/evil.txt
[group:muter]
command = $MSGPEER wipe sink 4
stdout = file:$T/muter.txt
[group:good]
command = $MSGPEER produce sink 20000
CONF
start_airsupd h.conf
wait_log 'ready root' 60
sink=$(group_pid sink)
grep -Eq '^done [2-8]$' evil.txt || fail "the scribbler found no segments: $(cat evil.txt)"
wait_until 30 eval 'grep -Eq "^done [1-9]" muter.txt' || fail "the muter did not wipe: $(cat muter.txt)"
wait_until 60 eval 'grep -q "^19999 0 good$" out.txt' || fail "the honest producer's last message never arrived"
[ "$(group_pid sink)" = "$sink" ] || fail "the receiver was restarted (crashed?)"
kill -0 "$AIRSUPD_PID" || fail "airsupd died"
python3 - <<'PY' || fail "the honest lane is not exact"
good = [int(l.split()[0]) for l in open("out.txt") if l.endswith(" good\n") and l[0].isdigit()]
assert good == list(range(20000)), (len(good), good[:5])
assert not any(l.startswith("CORRUPT") and l.endswith(" good\n") for l in open("out.txt"))
PY
ctl status sink >/dev/null || fail "airsupd does not serve after the scribbling"
# Whatever the receiver read of the scribbled lane was either a message
# or the one -EBADMSG that closes it; nothing of it came as "good".
grep -v ' good$' out.txt | grep -Ev '^([0-9]+ [0-9]+ evil|CORRUPT .* evil|ERROR Bad message)$' && fail "unexpected lines"
# A receiver restarted on the scribbled bell opens its mailbox, and a
# sender restarted then opens its lane: the honest numbers come again.
ctl restart sink >/dev/null || fail "restart sink failed"
[ "$(group_pid sink)" != "$sink" ] || fail "the sink was not restarted"
ctl restart good >/dev/null || fail "restart good failed"
wait_until 60 eval '[ "$(grep -c "^19999 [01] good$" out.txt)" -ge 2 ]' ||
        fail "the restarted sink did not get the restarted producer's messages"
grep -q "lookup sink" "$LOG" && fail "a lookup failed"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
