# ready = notify with real sd_notify clients (systemd-notify): each sibling
# starts only once the previous one said READY=1; airsupd's own READY=1
# comes after the last; a message from a process outside the child's tree
# is ignored; STATUS= becomes an event.
. "$(dirname "$0")/lib.sh"
LISTEN=$(cd "$(dirname "$AIRSUPD")" && pwd)/tests/notify-listen
command -v systemd-notify >/dev/null || fail "systemd-notify is not installed (mk/deps.sh test)"

cat >airsup.conf <<CONF
[group:a]
command = sh -c 'sleep 0.3; systemd-notify --ready --status="a is up"; exec sleep 1000'
ready = notify
[group:b]
command = sh -c 'echo \$NOTIFY_SOCKET > b.sock; sleep 0.3; exec systemd-notify --ready'
ready = notify
restart = transient
[group:outsider]
command = sh -c 'echo \$NOTIFY_SOCKET > outsider.sock; until [ -e go ]; do sleep 0.05; done; systemd-notify --ready; exec sleep 1000'
ready = notify
[group:c]
command = sleep 1000
CONF

"$LISTEN" "$T/notify.sock" 20 >notify.out &
lpid=$!
wait_until 5 test -S notify.sock || fail "listener did not bind"
NOTIFY_SOCKET=$T/notify.sock start_airsupd airsup.conf

wait_log 'started outsider'
wait_until 5 test -s outsider.sock || fail "outsider got no NOTIFY_SOCKET"
# Someone else (this shell's systemd-notify) claims the outsider is ready.
NOTIFY_SOCKET=$(cat outsider.sock) systemd-notify --ready
wait_log 'outsider: notify message from pid [0-9]+ \(uid [0-9]+\), not one of its processes, ignored'
log_has 'ready outsider' && fail "a foreign READY=1 was believed"
log_has 'started c' && fail "c started before outsider was ready"
[ "$(trace 0 '^(started|ready) (a|b|c|outsider)$')" = 'started a,ready a,started b,ready b,started outsider' ] ||
        fail "start order: $(trace 0 '^(started|ready) (a|b|c|outsider)$')"
log_has 'status a pid=[0-9]+ incarnation=1 status="a is up"' || fail "no STATUS= event"
# Each process has a socket of its own.
[ "$(cat b.sock)" != "$(cat outsider.sock)" ] || fail "b and outsider share a notify socket"
grep -Eq '^/run/airsup-notify\.[A-Za-z0-9]{6}/[0-9a-f]{32}$' b.sock || fail "unexpected NOTIFY_SOCKET $(cat b.sock)"

# b's main process said READY=1 and then exited 0: transient, not restarted.
wait_log 'not-restarted b'
kill -0 "$lpid" 2>/dev/null || fail "airsupd said READY=1 before the tree was ready"

# Its own process is believed; then c starts, and the tree is ready.
touch go
wait_log 'ready c'
[ "$(trace 0 '^(started|ready) (a|b|c|outsider)$')" = 'started a,ready a,started b,ready b,started outsider,ready outsider,started c,ready c' ] ||
        fail "start order: $(trace 0 '^(started|ready) (a|b|c|outsider)$')"
wait "$lpid" || fail "no READY=1 from airsupd: $(cat notify.out)"
opid=$(group_pid outsider)
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
gone "$opid" || fail "outsider still runs"
