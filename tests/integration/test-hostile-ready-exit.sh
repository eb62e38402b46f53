# A READY=1 from a short-lived helper counts even when the helper has
# exited (and was reaped) before airsupd reads the datagram: airsupd is
# held with SIGSTOP while the helper sends and goes away.  A sender that
# is gone counts only with the uid the group runs as: the same datagram
# from a gone process of another uid is ignored.  Only root is left to
# try that (another user cannot send to the socket at all, as nobody
# finds): a group running as daemon gets READY=1 from a root process
# that is gone.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"
mkdir -m 777 pub
# helper.sh GO SENT: once GO exists, READY=1 from a helper that exits at
# once, then SENT.
cat >helper.sh <<SCRIPT
until [ -e \$1 ]; do sleep 0.02; done
$HOSTILE notify-exit "\$NOTIFY_SOCKET" READY=1
touch \$2
exec sleep 1000
SCRIPT
cat >foreign.sh <<'SCRIPT'
echo "$NOTIFY_SOCKET" >"$1"
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:quick]
command = sh $T/helper.sh $T/go $T/sent
ready = notify
[group:foreign]
command = sh $T/foreign.sh $T/pub/foreign.sock
user = daemon
ready = notify
start_timeout = 60s
CONF
start_airsupd airsup.conf
wait_log 'started quick'
kill -STOP "$AIRSUPD_PID"
touch go
wait_until 10 test -e sent || { kill -CONT "$AIRSUPD_PID"; fail "the helper did not send"; }
kill -CONT "$AIRSUPD_PID"
wait_log 'ready quick'

wait_log 'started foreign'
wait_until 10 test -s pub/foreign.sock || fail "no NOTIFY_SOCKET"
"$HOSTILE" nobody notify "$(cat pub/foreign.sock)" READY=1 2>/dev/null && fail "nobody could send to the group's notify socket"
kill -STOP "$AIRSUPD_PID"
"$HOSTILE" notify-exit "$(cat pub/foreign.sock)" READY=1 || { kill -CONT "$AIRSUPD_PID"; fail "root could not send"; }
kill -CONT "$AIRSUPD_PID"
wait_log 'foreign: notify message from pid [0-9]+ \(uid 0\), not one of its processes, ignored'
log_has 'ready foreign' && fail "a gone sender of another uid was believed"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
