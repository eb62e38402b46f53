# Nothing a child passes on its channel (AIRSUP_FD) can block airsupd:
# a child sends TCP sockets with unsent data and SO_LINGER, whose last
# close would wait out the linger time.  The channel takes fds (an
# actor table comes as one), and airsupd hands every other to its
# closer.  A crash of
# another group is still restarted at once, the control socket answers,
# and the stop takes no linger time.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[group:victim]
command = sleep 1000
backoff = 0
[group:attacker]
command = $HOSTILE chan-linger 32 30 $T/go $T/attacker.out
ready = 1s
CONF

start_airsupd airsup.conf
wait_log 'ready root' 20
# airsupd stopped while the attacker sends and closes its own copies, so
# that what airsupd received holds the last reference.
kill -STOP "$AIRSUPD_PID"
touch go
wait_until 20 test -s attacker.out || { kill -CONT "$AIRSUPD_PID"; fail "the attacker did not send"; }
kill -CONT "$AIRSUPD_PID"
how=$(cat attacker.out)
echo "the channel's fds: $how"

# The loop is free: a crash is seen and restarted at once, twice.
for k in 1 2; do
        v=$(group_pid victim)
        mark=$(log_mark)
        kill -KILL "$v"
        expect_trace "$mark" '^(exited|started) victim' 'exited victim,started victim' 3
done
timeout 3 "$AIRSUPCTL" -s "$T/control" status attacker >status.txt ||
        fail "status did not answer within 3 s"
grep -q attacker status.txt || fail "status: $(cat status.txt)"

start=$(date +%s)
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 10
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ $(($(date +%s) - start)) -lt 10 ] || fail "the stop took $(($(date +%s) - start)) s"
log_has 'closer pid [0-9]+ is stuck' && fail "the closer got stuck"
exit 0
