# Nothing a sender passes on a notify socket can block airsupd: TCP
# sockets with unsent data and SO_LINGER, whose last close would wait out
# the linger time, are passed by an outsider and by the group's own child;
# airsupd then still restarts a crashed child at once and stops in time.
# A pty (not a pipe: it goes to the closer process) changes nothing either.
. "$(dirname "$0")/lib.sh"

cat >target.sh <<'SCRIPT'
echo $NOTIFY_SOCKET > target.sock
until [ -e go ]; do sleep 0.02; done
"$1" linger "$NOTIFY_SOCKET" 4 20 inner.pid
SCRIPT
cat >airsup.conf <<CONF
[group:victim]
command = sleep 1000
backoff = 0
[group:target]
command = sh $T/target.sh $HOSTILE
workdir = $T
ready = notify
start_timeout = 60s
CONF
# The inner attacker, a child of the group, keeps running after the main
# process exec'd sleep: it holds the listener its sockets are connected to.

start_airsupd airsup.conf
wait_until 5 test -s target.sock || fail "no NOTIFY_SOCKET"
sock=$(cat target.sock)
# From outside: 16 lingering sockets (20 s each if closed in airsupd).
"$HOSTILE" linger "$sock" 16 20 "$T/outer.pid" &
wait_until 10 test -s outer.pid || fail "outer attacker did not send"
# From inside: the group's own child.
touch go
wait_until 10 test -s inner.pid || fail "inner attacker did not send"
# A pty fd from outside (closed by the closer process).
python3 -c 'import array,os,pty,socket,sys
m,s=pty.openpty()
os.write(s,b"x"*100)
u=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
a=sys.argv[1]; a="\0"+a[1:] if a[0]=="@" else a
u.sendmsg([b"WATCHDOG=1"],[(socket.SOL_SOCKET,socket.SCM_RIGHTS,array.array("i",[m,s]).tobytes())],0,a)' "$sock" ||
        fail "could not pass a pty"

# The loop is free: a crash is seen and restarted at once.
v=$(group_pid victim)
mark=$(log_mark)
kill -KILL "$v"
expect_trace "$mark" '^(exited|started) victim' 'exited victim,started victim' 3

start=$(date +%s)
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 8
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ $(($(date +%s) - start)) -lt 8 ] || fail "the stop took $(($(date +%s) - start)) s"
log_has 'closer pid [0-9]+ is stuck' && fail "the closer got stuck"
exit 0
