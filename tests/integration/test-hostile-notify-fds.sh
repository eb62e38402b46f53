# A group's own process sends 40 datagrams back to back, each with 253
# copies of one pipe's write end (10,120 fds in all, at most 11 queued
# at once), while another group crashes: every datagram must be handled
# (the last STATUS= shows), every fd closed (the pipe's read end sees
# EOF: one copy kept open anywhere, in airsupd or a helper of it, would
# hold it), and the loop must go on (the other group restarted, a
# control request answered).  Then a process sends 40 such datagrams of
# a marker file's fds and exits at once: its exit reads its socket
# before it is handled, the sender is gone by the time the rest are read;
# once the last STATUS= shows, neither airsupd nor a helper of it holds
# the marker open.
. "$(dirname "$0")/lib.sh"

HN=$HOSTILE-notify
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >burst.sh <<'SCRIPT'
"$1" notify "$NOTIFY_SOCKET" READY=1
until [ -e go ]; do sleep 0.02; done
"$2" fd-burst "$NOTIFY_SOCKET" 40 burst.out
exec sleep 1000
SCRIPT
cat >victim.sh <<'SCRIPT'
[ -e crashed ] && exec sleep 1000
until [ -e go ]; do sleep 0.02; done
touch crashed
exit 3
SCRIPT
cat >airsup.conf <<CONF
[group:burst]
command = sh $T/burst.sh $HOSTILE $HN
workdir = $T
ready = notify
[group:quitter]
command = sh -c '"\$1" notify "\$NOTIFY_SOCKET" READY=1; until [ -e quit ]; do sleep 0.02; done; exec "\$0" fd-burst "\$NOTIFY_SOCKET" 40 quit.out $T/marker' $HN $HOSTILE
workdir = $T
ready = notify
start_timeout = 60s
restart = temporary
[group:victim]
command = sh $T/victim.sh
workdir = $T
backoff = 10ms
CONF
start_airsupd airsup.conf
wait_log 'started victim'
wait_log "ready burst"
touch go
wait_until 20 grep -q 'sent=40' burst.out || fail "the burst was not sent: $(cat burst.out 2>/dev/null)"
wait_until 40 grep -q 'eof=' burst.out || fail "the burst did not end"
grep -q 'eof=1' burst.out || fail "a copy of the pipe was kept open: $(cat burst.out)"
wait_until 10 eval 'ctl status burst | grep -q "burst 39"' ||
        fail "status does not show the last STATUS=: $(ctl status burst)"
wait_log 'started victim pid=[0-9]+ incarnation=2'
ctl status >/dev/null || fail "no answer to status"
alive "$AIRSUPD_PID" || fail "airsupd died"

: >marker
touch quit
wait_until 20 grep -q 'sent=40' quit.out || fail "the second burst was not sent: $(cat quit.out 2>/dev/null)"
wait_log 'exited quitter'
wait_until 20 eval 'ctl status quitter | grep -q "burst 39"' ||
        fail "the quitter's datagrams were not all read: $(ctl status quitter)"
holders() {
        for p in "$AIRSUPD_PID" $(pgrep -P "$AIRSUPD_PID"); do
                ls -l /proc/"$p"/fd 2>/dev/null | grep -c "$T/marker"
        done | awk '{ n += $1 } END { print n + 0 }'
}
wait_until 20 eval '[ "$(holders)" -eq 0 ]' || fail "$(holders) copies of the marker still open"
alive "$AIRSUPD_PID" || fail "airsupd died"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
