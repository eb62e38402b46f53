# A reload reads the file in airsupd's loop: a FIFO put in the file's
# place (no writer, so an open for reading would wait for ever) is
# refused as not a regular file, and airsupd goes on serving; a
# directory too.  --check says the same.
. "$(dirname "$0")/lib.sh"

ctl() { timeout 5 "$AIRSUPCTL" -s "$T/control" "$@"; }
printf '[group:a]\ncommand = sleep 1000\n' >good.conf
cp good.conf airsup.conf
start_airsupd airsup.conf
wait_log 'ready root'

rm airsup.conf
mkfifo airsup.conf
kill -HUP "$AIRSUPD_PID"
wait_log 'airsup.conf: not a regular file' 5
ctl status a >/dev/null || fail "status did not answer after a SIGHUP of a FIFO"
out=$(ctl reload 2>&1) && fail "reload of a FIFO succeeded: $out"
echo "$out" | grep -q 'not a regular file' || fail "reload said: $out"
out=$(timeout 5 "$AIRSUPD" --check -c airsup.conf 2>&1); rc=$?
[ $rc -eq 78 ] || fail "--check of a FIFO exited $rc: $out"
rm airsup.conf
mkdir airsup.conf
kill -HUP "$AIRSUPD_PID"
wait_log 'airsup.conf: Is a directory' 5
ctl status a >/dev/null || fail "status did not answer after a SIGHUP of a directory"
rmdir airsup.conf
cp good.conf airsup.conf
printf '[group:b]\ncommand = sleep 1000\n' >>airsup.conf
ctl reload >/dev/null || fail "the good file did not reload"
wait_log 'ready b'
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
