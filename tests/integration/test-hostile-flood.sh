# A flood of rejected datagrams from outside the group (root's, the only
# other uid that may send to the socket of a group running as daemon,
# and not daemon's: even from a process gone by the time they are read,
# they are not the group's) costs a few log lines, not a
# line each (at most 5 per 10 s, so a slow run may span an interval or
# two); another user (nobody) cannot send at all; the group's own
# messages still get through; STATUS= bytes that are not printable ASCII
# are escaped (\xNN) in the event.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"
mkdir -m 777 pub
cat >g.sh <<'SCRIPT'
echo $NOTIFY_SOCKET > pub/g.sock
until [ -e go ]; do sleep 0.02; done
"$1" notify "$NOTIFY_SOCKET" 'STATUS=\e[31mred\x07\xff"q\nREADY=1'
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:g]
command = sh $T/g.sh $HOSTILE
workdir = $T
user = daemon
ready = notify
CONF
start_airsupd airsup.conf
wait_until 5 test -s pub/g.sock || fail "no NOTIFY_SOCKET"
"$HOSTILE" flood "$(cat pub/g.sock)" 20000 || fail "the flood failed"
"$HOSTILE" nobody notify "$(cat pub/g.sock)" READY=1 2>/dev/null && fail "nobody could send to the group's notify socket"
touch go
wait_log 'ready g'
n=$(log_count 'g: notify message from pid [0-9]+ \(uid 0\)')
[ "$n" -ge 1 ] && [ "$n" -le 15 ] || fail "$n warning lines for 20000 rejected datagrams"
log_has 'status g pid=[0-9]+ incarnation=1 status="\\x1b\[31mred\\x07\\xff\\x22q"' ||
        fail "STATUS= not escaped: $(grep 'status g' "$LOG")"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
