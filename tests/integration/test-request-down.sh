# Monitored requests (airsup(3), REQUEST AND REPLY, airsup_dest_monitor()),
# with real processes and a real SIGKILL: a plain program's request and an
# actor's ask to a server killed in the middle end at once with
# -ECONNRESET, long before their 30 s timeout (each client measures it and
# fails past 10 s); the plain program still gets the DOWN; the server's
# next incarnation answers the redelivered request late (dropped and
# counted); a request to a server that is stopped is -ESRCH at once, and
# without the monitor it waits for its timeout.  The clients check
# the error codes and times themselves (req-peer.c, mon-client and
# actor-mon-client) and say each step in a file; this script waits on
# those steps, never on a fixed sleep.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
mkdir -p m am
cat >reqdown.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:mserver]
command = $PEER server $T/m
ready = notify
backoff = 0
[group:amserver]
command = $PEER server $T/am
ready = notify
backoff = 0
[group:mclient]
command = $PEER mon-client mserver $T
restart = temporary
[group:amclient]
command = $PEER actor-mon-client amserver $T
restart = temporary
CONF
start_airsupd reqdown.conf

# The plain program: its type 3 reached the server, which is killed.
wait_until 30 test -s m/inside || fail "the monitored request never reached mserver: $(cat mclient 2>/dev/null)"
grep -qx mon-ok1 mclient || fail "mclient: $(cat mclient)"
kill -KILL "$(cat m/inside)"
wait_until 30 grep -q '^mon-reset ' mclient || fail "the request did not end at the DOWN: $(cat mclient)"
wait_until 30 grep -q '^mon-ok2 [1-9]' mclient || fail "no late reply from the next incarnation: $(cat mclient)"
grep -qx mon-down mclient || fail "the DOWN was not kept for airsup_recv(): $(cat mclient)"

# The actor: the same, its ask's failure a message.
wait_until 30 test -s am/inside || fail "the monitored ask never reached amserver: $(cat amclient 2>/dev/null)"
kill -KILL "$(cat am/inside)"
wait_until 30 grep -q '^amon-reset ' amclient || fail "the ask did not end at the DOWN: $(cat amclient)"
wait_until 30 grep -q '^amon-ok [1-9]' amclient || fail "no late reply to the actor: $(cat amclient)"

# A stopped server: -ESRCH at once.
wait_until 30 grep -qx mon-wait mclient || fail "mclient: $(cat mclient)"
ctl stop mserver >/dev/null || fail "airsupctl stop mserver failed"
ctl send mclient 9 stopped >/dev/null || fail "airsupctl send mclient failed"
wait_until 30 grep -qx done mclient || fail "mclient did not finish: $(cat mclient)"
grep -qx mon-esrch mclient || fail "mclient: $(cat mclient)"
! grep -q FAIL mclient amclient || fail "$(cat mclient amclient)"
echo "mclient: $(tr '\n' ' ' <mclient)" >&2
echo "amclient: $(tr '\n' ' ' <amclient)" >&2

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
