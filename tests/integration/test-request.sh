# Request/reply between real groups (airsup(3), REQUEST AND REPLY): a
# plain client's 100 requests each get their own answer; a message that
# comes while a request waits is kept for airsup_recv(); a request never
# answered times out; a second answer, and one with a forged correlation
# id, are late and dropped (counted), never taken for another request's;
# a server SIGKILLed in the middle of a request answers it from its next
# incarnation, within the client's timeout.  An actor's asks get their
# replies, and the one never answered its timeout, each once, by
# correlation id; a plain client's request to an actor ("aserver/echo")
# is answered by that actor.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
cat >req.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:server]
command = $PEER server $T
ready = notify
backoff = 0
[group:aserver]
command = $PEER actor-server $T
ready = notify
[group:client]
command = $PEER client server $T
restart = temporary
[group:aclient]
command = $PEER actor-client server $T
restart = temporary
[group:pclient]
command = $PEER client-echo aserver/echo $T
restart = temporary
CONF
start_airsupd req.conf
wait_log 'ready server' 30

wait_until 30 test -s inside || fail "the slow request never reached the server: $(cat client 2>/dev/null)"
for ok in ok1 ok4 ok5 ok6 ok7; do
        grep -qx "$ok" client || fail "client: $ok missing: $(cat client)"
done
kill -KILL "$(cat inside)"
wait_until 30 grep -qx done client || fail "the client did not finish: $(cat client)"
grep -qx ok3 client || fail "the killed server's request was not answered: $(cat client)"
! grep -q FAIL client || fail "client: $(cat client)"

wait_until 30 grep -q . actor || fail "the actor client said nothing"
grep -qx actor-ok actor || fail "actor client: $(cat actor)"
! grep -q FAIL actor || fail "actor client: $(cat actor)"

wait_until 30 grep -qx done echo-client || fail "the request to aserver/echo was not answered: $(cat echo-client 2>/dev/null)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
