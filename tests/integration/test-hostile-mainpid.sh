# MAINPID= is the sender's word, not the kernel's: a child that names
# airsupd, PID 1, a process outside its group or another group's main
# process is ignored (with a warning), and a stop still reaches the real
# main process and its workers.  A decoy detached with setsid() may become
# the main process (it is below the main process) but the process group
# the group started with is still stopped with it.
. "$(dirname "$0")/lib.sh"

cat >liar.sh <<SCRIPT
sleep 1000 & echo \$! > worker.pid
while :; do
        until [ -e go ] || [ -e go2 ]; do sleep 0.02; done
        [ -e go2 ] && break
        rm -f go
        $HOSTILE notify "\$NOTIFY_SOCKET" "MAINPID=\$(cat target)"
        touch said
done
setsid sleep 1000 & echo \$! > decoy.pid
$HOSTILE notify "\$NOTIFY_SOCKET" "MAINPID=\$(cat decoy.pid)\\nREADY=1"
exec sleep 1000
SCRIPT
cat >airsup.conf <<CONF
[group:other]
command = sh -c 'echo \$\$ > other.pid; exec sleep 1000'
[group:liar]
command = sh $T/liar.sh
ready = notify
start_timeout = 30s
CONF

start_airsupd airsup.conf
wait_log 'started liar'
wait_until 5 test -s other.pid || fail "other did not start"
liar=$(group_pid liar)
for target in "$AIRSUPD_PID" 1 "$(cat other.pid)" "$$"; do
        rm -f said
        echo "$target" >target
        touch go
        wait_until 5 test -e said || fail "the liar did not speak"
        wait_log "liar: MAINPID=$target is not a live process of this group, ignored"
        log_has "main-pid liar pid=$target " && fail "MAINPID=$target was believed"
done
touch go2
wait_log 'ready liar'
decoy=$(cat decoy.pid)
worker=$(cat worker.pid)
log_has "main-pid liar pid=$decoy " || fail "the decoy below the main process was not taken as main"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 15
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
for pid in "$liar" "$worker" "$decoy" "$(cat other.pid)"; do
        gone "$pid" || fail "process $pid survived the stop"
done
