# One airsupd per deployment: a second one for the same configuration
# refuses to start; the leftovers of one that was SIGKILLed are stopped by
# the next before it starts the tree again; signals that would end airsupd
# by default (USR1, USR2, QUIT, ALRM, a real-time one) do not.
. "$(dirname "$0")/lib.sh"

cat >one.conf <<CONF
[airsupd]
state_dir = $T/state
[group:web]
command = sh -c 'echo \$\$ >>web.pids; exec sleep 1000'
CONF

start_airsupd one.conf
wait_log 'ready root'
first=$AIRSUPD_PID
[ -s state/lock ] || fail "no lock in the state directory"
[ "$(cat state/lock)" = "$first" ] || fail "the lock does not name airsupd's pid"

# A second airsupd for the same deployment is refused, and harms nothing.
if "$AIRSUPD" -c one.conf --log=stderr 2>second.log; then
        fail "a second airsupd for the same deployment started"
fi
grep -q "another airsupd (pid $first) runs this deployment" second.log ||
        fail "the refusal does not say why: $(cat second.log)"
[ "$(wc -l <web.pids)" -eq 1 ] || fail "the second airsupd started a child"

# Signals whose default would end airsupd: noted, survived.
for sig in USR1 USR2 QUIT ALRM VTALRM PROF IO XCPU XFSZ RTMIN+3; do
        kill -s "$sig" "$first" 2>/dev/null || kill "-$sig" "$first"
done
wait_log 'SIGRTMIN\+3 from pid [0-9]+ ignored'
kill -0 "$first" || fail "airsupd died of a signal"
log_has 'SIGUSR1: reopening log files; the tree as it is now' || fail "SIGUSR1 printed no status"
log_has 'status +web ready pid=' || fail "the status shows no ready web"
log_has 'SIGUSR2: debug events off' || fail "SIGUSR2 did not toggle debug events"
log_has 'SIGQUIT from pid [0-9]+ ignored' || fail "SIGQUIT was not noted"

# SIGKILLed: its child runs on, unsupervised.  The next airsupd stops it
# before it starts a new one.
old=$(head -n 1 web.pids)
kill -KILL "$first"
wait "$first" 2>/dev/null
AIRSUPD_PID=
alive "$old" || fail "the child did not outlive the SIGKILLed airsupd"
start_airsupd one.conf
wait_log 'ready root'
log_has "leftover web pid=$old of a previous airsupd" || fail "no event about the leftover"
log_has "leftover web pid=$old stopped" || fail "the leftover was not stopped"
gone "$old" || fail "the leftover still runs"
[ "$(wc -l <web.pids)" -eq 2 ] || fail "expected one new child"
new=$(tail -n 1 web.pids)
alive "$new" || fail "the new child does not run"

# A clean stop leaves no list of processes behind.
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ ! -e state/procs ] || fail "a clean stop left state/procs"

# An unrelated process with a recorded pid is never taken for ours.
printf "boot %s\n+ %s 1 web\n" "$(cat /proc/sys/kernel/random/boot_id)" "$$" >state/procs
start_airsupd one.conf
wait_log 'ready root'
log_has 'leftover web' && fail "a reused pid was taken for a leftover"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20

# A list from another boot names nothing of ours, even a live pid whose
# start time matches.
setsid sleep 1000 &
other=$!
echo "$other" >other.pid
start=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$other/stat")
printf "boot 00000000-0000-0000-0000-000000000000\n+ %s %s web\n" "$other" "$start" >state/procs
start_airsupd one.conf
wait_log 'ready root'
alive "$other" || fail "a process named by another boot's list was stopped"
log_has 'leftover web' && fail "another boot's list was taken for leftovers"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
# The same line under this boot's id: that one is ours, and stopped.
printf "boot %s\n+ %s %s web\n" "$(cat /proc/sys/kernel/random/boot_id)" "$other" "$start" >state/procs
start_airsupd one.conf
wait_log 'ready root'
log_has "leftover web pid=$other stopped" || fail "the same line under this boot was not stopped"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
