# Monitors of an actor in another process (airsup(3), MONITORS), with
# real processes: a plain program and an actor each monitor
# "aserver/echo"; when echo stops for good, both get one DOWN named
# aserver/echo, code STOPPED; a monitor of an actor that is not there is
# a NOPROC; when the actor's whole process is SIGKILLed, the DOWN is
# airsupd's for the instance, still named aserver/echo (KILLED, 9); and
# DOWN messages forged by another process on the watcher's lane (type
# 0xffffff02 from airsupctl send) never reach the program.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
mkdir -p w aw nw
cat >m.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:aserver]
command = $PEER actor-server $T
ready = notify
backoff = 0
[group:watcher]
command = $PEER watcher aserver/echo $T/w
ready = notify
[group:nobody]
command = $PEER watcher aserver/nobody $T/nw
ready = notify
CONF
start_airsupd m.conf
wait_log 'ready root' 30

ctl send watcher 9 go >/dev/null || fail "send to watcher failed"
wait_until 10 grep -qx monitoring w/watch || fail "the watcher did not monitor: $(cat w/watch 2>/dev/null)"
# The actor watcher monitors once, at its start: it is started now.
cat >>m.conf <<CONF
[group:awatcher]
command = $PEER actor-watcher aserver/echo $T/aw
CONF
ctl reload >/dev/null || fail "reload failed"
wait_until 10 grep -qx monitoring aw/awatch || fail "the actor did not monitor: $(cat aw/awatch 2>/dev/null)"

# Forged DOWNs on the watcher's lane, one of an airsup_down's very size:
# dropped by the library (no monitor of the watcher's is answered from
# airsupctl's lane).
ctl send watcher 4294967042 "$(printf 'x%.0s' $(seq 1 80))" >/dev/null || fail "forged send failed"
ctl send watcher 4294967042 short >/dev/null

# echo stops for good: one DOWN each, named as asked.
ctl send aserver/echo 7 bye >/dev/null || fail "send to aserver/echo failed"
wait_until 10 grep -q '^down' w/watch || fail "the watcher got no DOWN: $(cat w/watch)"
[ "$(grep '^down' w/watch)" = "down aserver/echo 3 0" ] || fail "watcher: $(cat w/watch)"
wait_until 10 grep -q '^actor-down' aw/awatch || fail "the actor got no DOWN: $(cat aw/awatch)"
[ "$(grep '^actor-down' aw/awatch)" = "actor-down aserver/echo 3 0" ] || fail "actor watcher: $(cat aw/awatch)"

# An actor that is not there.
ctl send nobody 9 go >/dev/null
wait_until 10 grep -qx noproc nw/watch || fail "no NOPROC for aserver/nobody: $(cat nw/watch 2>/dev/null)"

# The process goes: the instance's DOWN, named as asked.  (echo is back
# with its restarted process.)
ctl restart aserver >/dev/null || fail "restart aserver failed"
ctl send watcher 9 go >/dev/null
wait_until 10 eval '[ "$(grep -c "^monitoring" w/watch)" -ge 2 ]' || fail "the watcher did not monitor again: $(cat w/watch)"
kill -KILL "$(group_pid aserver)"
wait_until 10 eval '[ "$(grep -c "^down" w/watch)" -ge 2 ]' || fail "no DOWN at the process's death: $(cat w/watch)"
[ "$(grep '^down' w/watch | tail -n 1)" = "down aserver/echo 2 9" ] || fail "watcher: $(cat w/watch)"
# Exactly one DOWN each time: the forged ones never came through.
[ "$(grep -c '^down' w/watch)" -eq 2 ] || fail "watcher got $(grep -c '^down' w/watch) DOWNs: $(cat w/watch)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
