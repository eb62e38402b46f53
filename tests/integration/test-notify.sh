# airsupd tells its own supervisor READY=1 once its children are up (a
# systemd Type=notify unit), and does not hand its NOTIFY_SOCKET to children.
. "$(dirname "$0")/lib.sh"
LISTEN=$(cd "$(dirname "$AIRSUPD")" && pwd)/tests/notify-listen

cat >airsup.conf <<CONF
[group:slow]
command = sh -c 'echo "notify=\${NOTIFY_SOCKET:-unset}" > env.out; exec sleep 1000'
ready = 500ms
CONF

"$LISTEN" "$T/notify.sock" 20 >notify.out &
lpid=$!
wait_until 5 test -S notify.sock || fail "listener did not bind"
NOTIFY_SOCKET=$T/notify.sock start_airsupd airsup.conf
wait "$lpid" || fail "no READY=1 from airsupd: $(cat notify.out)"
# READY=1 came after the child's own readiness (500 ms after its start).
log_has 'ready slow' || fail "READY=1 was sent before the child was ready"
grep -q '^notify=unset$' env.out || fail "child saw airsupd's notify socket: $(cat env.out)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
