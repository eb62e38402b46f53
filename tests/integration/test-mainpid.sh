# MAINPID=: a child that forks its real server and names it (as a forking
# daemon does with sd_notify) makes that process the main one: the first
# process may exit without being a crash, and the named one's death is.
# Without --subreaper its exit status cannot be known (it is not airsupd's
# child); with --subreaper it can.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[group:forking]
command = sh -c 'sleep 1000 & echo $! > server.pid; systemd-notify --ready --pid=$!; exit 0'
ready = notify
backoff = 10ms
CONF

for mode in plain --subreaper; do
        rm -f server.pid
        if [ $mode = plain ]; then start_airsupd airsup.conf; else start_airsupd airsup.conf $mode; fi
        wait_log 'ready forking'
        server=$(cat server.pid)
        log_has "main-pid forking pid=$server " || fail "$mode: no main-pid event for $server"
        log_has 'leftovers|restarting' && fail "$mode: the first process's exit was taken for a crash"
        alive "$server" || fail "$mode: server $server is not running"
        kill -KILL "$server"
        if [ $mode = plain ]; then
                wait_log "exited forking pid=$server incarnation=1 status=unknown"
        else
                wait_log "exited forking pid=$server incarnation=1 signal=KILL"
        fi
        wait_log 'ready forking pid=[0-9]+ incarnation=2'
        server=$(cat server.pid)
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "$mode: airsupd exited $AIRSUPD_STATUS"
        gone "$server" || fail "$mode: server $server survived the shutdown"
done
