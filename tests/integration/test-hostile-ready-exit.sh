# A READY=1 from a short-lived helper counts even when the helper has
# exited (and was reaped) before airsupd reads the datagram: airsupd is
# held with SIGSTOP while the helper sends and goes away.  A sender that
# is gone counts only with the uid the group runs as: the same datagram
# from a gone process of another uid (nobody) is ignored.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"
# helper.sh GO SENT [nobody]: once GO exists, READY=1 from a helper that
# exits at once, then SENT.
cat >helper.sh <<SCRIPT
until [ -e \$1 ]; do sleep 0.02; done
$HOSTILE \$3 notify-exit "\$NOTIFY_SOCKET" READY=1
touch \$2
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:quick]
command = sh $T/helper.sh $T/go $T/sent
ready = notify
[group:foreign]
command = sh $T/helper.sh $T/go2 $T/sent2 nobody
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
kill -STOP "$AIRSUPD_PID"
touch go2
wait_until 10 test -e sent2 || { kill -CONT "$AIRSUPD_PID"; fail "the nobody helper did not send"; }
kill -CONT "$AIRSUPD_PID"
wait_log 'foreign: notify message from pid [0-9]+ \(uid 65534\), not one of its processes, ignored'
log_has 'ready foreign' && fail "a gone sender of another uid was believed"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
