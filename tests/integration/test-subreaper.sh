# With --subreaper, orphaned descendants are adopted and reaped by airsupd
# (no zombies pile up); a double-forked daemon is still stopped with its group.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[group:forker]
command = sh -c 'sh -c "sleep 0.3 & echo \$! > orphan.pid"; exec sleep 1000'
CONF

start_airsupd airsup.conf --subreaper
wait_log 'ready forker'
wait_until 5 test -s orphan.pid || fail "no orphan pid"
orphan=$(cat orphan.pid)
# The orphan exits after 0.3 s; airsupd must reap it, so that not even a
# zombie remains.
wait_until 10 test ! -e "/proc/$orphan" || fail "orphan $orphan was not reaped (state $(cut -d' ' -f3 /proc/$orphan/stat))"
ppid_ok=1
log_has "reaped orphan $orphan" || fail "no reap logged for $orphan"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
