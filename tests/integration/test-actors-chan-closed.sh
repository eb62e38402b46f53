# An actor system whose channel airsupd closed (it sent garbage on it)
# sleeps when it has nothing to do: the closed channel leaves the fd its
# loop polls, rather than keeping it readable and the process spinning.
# Before the fix it burned a whole CPU; here it must use well under a
# tenth of one over two seconds.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/actor-peer
cat >c.conf <<CONF
[group:host]
command = $PEER closed $T
ready = notify
CONF
start_airsupd c.conf
wait_log 'ready host' 30
wait_log 'malformed records on its channel, closed' 30
pid=$(group_pid host)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# CPU ticks over a stretch of time that the test measures itself.
before=$(ticks)
t0=$(date +%s%N)
wait_until 5 eval '[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 2000 ]'
after=$(ticks)
hz=$(getconf CLK_TCK)
used=$(( (after - before) * 1000 / hz ))
[ "$used" -lt 200 ] || fail "the idle actor system used $used ms of CPU in 2 s"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
