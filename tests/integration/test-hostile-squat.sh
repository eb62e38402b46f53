# Notify socket names cannot be squatted: a local user (nobody) who binds
# the abstract names airsupd would once have used (@airsup/PID/SERIAL)
# changes nothing; the sockets are paths in a directory made with
# mkdtemp(), and each group still starts.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[supervisor:root]
intensity = 1
[group:first]
command = sh -c 'until [ -e go ]; do sleep 0.02; done; exec systemd-notify --ready'
ready = notify
restart = transient
[group:second]
command = sh -c 'echo $NOTIFY_SOCKET > second.sock; exec systemd-notify --ready'
ready = notify
restart = transient
[group:third]
command = sleep 1000
CONF

start_airsupd airsup.conf
wait_log 'started first'
chmod 777 "$T"          # for the squatter's pid file
"$HOSTILE" nobody squat "$AIRSUPD_PID" 1 64 "$T/squat.pid" &
wait_until 5 test -s squat.pid || fail "the squatter did not bind"
touch go
wait_log 'ready second'
wait_log 'started third'
log_has 'start-failed' && fail "a squatted name failed a start"
grep -Eq '^/run/airsup-notify\.[A-Za-z0-9]{6}/[0-9a-f]{32}$' second.sock || fail "unexpected notify socket name $(cat second.sock)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
