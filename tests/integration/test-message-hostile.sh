# A group that writes garbage all over the lane and the bell airsupd gave
# it (an attacker with its own fds, not the library) cannot crash airsupd
# or the receiver, nor disturb another sender's lane: the honest
# producer's messages all arrive, in order and exact, the receiver reads
# on (a garbled lane is one -EBADMSG, then closed), and airsupd keeps
# serving.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >h.conf <<CONF
[supervisor:root]
intensity = 100
[group:sink]
command = $MSGPEER consume $T/out.txt
ready = notify
[group:good]
command = $MSGPEER produce sink 20000
[group:evil]
command = $MSGPEER scribble sink 3
stdout = file:$T/evil.txt
CONF
start_airsupd h.conf
wait_log 'ready root' 60
sink=$(group_pid sink)
wait_until 60 test -s evil.txt || fail "the scribbler did not finish"
grep -Eq '^done [2-8]$' evil.txt || fail "the scribbler found no segments: $(cat evil.txt)"
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
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
