# What a child gets: AIRSUP_* variables, environment, workdir, stdin from
# /dev/null, stdout to a file opened O_APPEND, a session of its own, pools,
# every signal at its default and none blocked (airsupd ignores SIGPIPE and,
# started in the background by sh, SIGINT and SIGQUIT; its spawner resets
# them once for all the children it forks).
. "$(dirname "$0")/lib.sh"

mkdir work
cat >airsup.conf <<CONF
[group:env]
command = sh -c 'echo "group=\$AIRSUP_GROUP inst=\$AIRSUP_INSTANCE inc=\$AIRSUP_INCARNATION
    mode=\$MODE words=\$WORDS pwd=\$(pwd) sid=\$(ps -o sid= -p \$\$) pid=\$\$"; read x || echo "stdin-eof"; echo err >&2; exec sleep 1000'
environment = MODE=test
  WORDS='two words'
workdir = $T/work
stdout = file:$T/out.log
[group:pool]
command = sh -c 'echo \$AIRSUP_INSTANCE >> $T/pool.out; exec sleep 1000'
instances = 3
stdout = null
[group:sig]
command = cat /proc/self/status
restart = temporary
stdout = file:$T/sig.status
CONF

echo "previous line" >out.log
start_airsupd airsup.conf
wait_log 'ready env'
wait_log_count 'ready pool\[' 3
wait_until 5 grep -q '^err$' out.log || fail "stderr did not follow stdout into the file"
head -n 1 out.log | grep -q 'previous line' || fail "the file was not opened for appending"
line=$(grep '^group=' out.log)
case $line in
"group=env inst=0 inc=1 mode=test words=two words pwd=$T/work sid="*) ;;
*) fail "unexpected child view: $line" ;;
esac
sid=$(echo "$line" | sed 's/.*sid= *\([0-9]*\).*/\1/')
pid=$(echo "$line" | sed 's/.*pid=\([0-9]*\).*/\1/')
[ "$sid" = "$pid" ] || fail "child is not a session leader (sid $sid, pid $pid)"
grep -q '^stdin-eof$' out.log || fail "stdin was not /dev/null"
wait_until 5 eval '[ "$(sort pool.out | tr "\n" " ")" = "0 1 2 " ]' || fail "pool instances: $(cat pool.out)"

# Killing one pool instance restarts only that one.
p1=$(group_pid 'pool\[1\]')
p0=$(group_pid 'pool\[0\]')
kill -KILL "$p1"
wait_log 'started pool\[1\] .*incarnation=2'
[ "$(group_pid 'pool\[0\]')" = "$p0" ] || fail "pool[0] was restarted too"
log_has 'started pool\[0\] .*incarnation=2' && fail "pool[0] has a second incarnation"

wait_until 5 grep -q '^SigBlk:' sig.status || fail "no status of the signals child"
grep -q '^SigIgn:[[:space:]]*0*$' sig.status || fail "the child ignores signals: $(grep '^SigIgn:' sig.status)"
grep -q '^SigBlk:[[:space:]]*0*$' sig.status || fail "the child blocks signals: $(grep '^SigBlk:' sig.status)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
