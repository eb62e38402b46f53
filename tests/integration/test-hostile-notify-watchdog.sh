# A local user keeping a group's notify socket full (issue 24, hole 11):
# nobody, with 32 processes sending WATCHDOG=1 as fast as the socket takes
# them for 5 s, while the group's own child (as daemon) pets its watchdog
# every 50 ms (200 ms interval, threshold 2).  Once, on abstract sockets,
# nobody filled the queue (net.unix.max_dgram_qlen datagrams) and the
# child's WATCHDOG=1 waited in sendmsg() until the group failed its health
# and was restarted.  Now the socket is a path only the group's uid (and
# root) may send to: nobody gets nothing in, the group is neither failed
# nor restarted, and the directory goes with airsupd.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
chmod 755 "$T"
mkdir -m 777 pub
cat >dog.sh <<'SCRIPT'
echo "$NOTIFY_SOCKET" >"$1/dog.sock"
exec "$2" pet "$NOTIFY_SOCKET" 50 "$1/worst"
SCRIPT
cat >airsup.conf <<CONF
[group:dog]
command = sh $T/dog.sh $T/pub $HN
user = daemon
ready = notify
health = watchdog
health_interval = 200ms
health_threshold = 2
backoff = 10ms
CONF
start_airsupd airsup.conf
wait_log 'ready dog'
wait_until 5 test -s pub/dog.sock || fail "no NOTIFY_SOCKET"
sock=$(cat pub/dog.sock)
dog=$(group_pid dog)
case $sock in
/*) [ "$(stat -c %U:%a "$sock")" = daemon:600 ] || fail "socket $sock is $(stat -c %U:%a "$sock"), not daemon:600"
    [ "$(stat -c %U:%a "$(dirname "$sock")")" = root:711 ] || fail "its directory is $(stat -c %U:%a "$(dirname "$sock")")" ;;
esac

"$HN" flood-as 65534 "$sock" 5 32 "$T/pub/flood.out" || fail "the attacker did not run"
cat pub/flood.out
grep -Eq '^sent=0 refused=[1-9][0-9]*$' pub/flood.out || fail "nobody got datagrams in: $(cat pub/flood.out)"
log_has 'health-failed dog' && fail "the flood failed a healthy watchdog child (longest send $(cat pub/worst) ms)"
[ "$(group_pid dog)" = "$dog" ] || fail "the flood restarted a healthy watchdog child"
[ "$(log_count 'started dog')" -eq 1 ] || fail "dog started $(log_count 'started dog') times"
# The group's own uid still gets through (it petted all along).
"$AIRSUPCTL" -s "$T/control" status dog | grep -Eq '^dog +ready .* healthy ' ||
        fail "dog is not ready and healthy: $("$AIRSUPCTL" -s "$T/control" status dog)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
case $sock in /*) [ ! -e "$(dirname "$sock")" ] || fail "$(dirname "$sock") left behind" ;; esac

# A killed airsupd leaves its directory; the next one removes it (and
# stops the leftover child, as state.c does).
rm -f pub/dog.sock
start_airsupd airsup.conf
wait_until 10 test -s pub/dog.sock || fail "no NOTIFY_SOCKET after a restart of airsupd"
killed=$(dirname "$(cat pub/dog.sock)")
kill -KILL "$AIRSUPD_PID"
wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd survived SIGKILL"
wait "$AIRSUPD_PID"
rm -f pub/dog.sock
: >"$LOG"
start_airsupd airsup.conf
wait_until 10 test -s pub/dog.sock || fail "no NOTIFY_SOCKET after airsupd was killed"
case $killed in /*) [ ! -e "$killed" ] || fail "$killed, left by a killed airsupd, is still there" ;; esac
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
