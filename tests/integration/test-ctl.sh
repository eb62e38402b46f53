# airsupctl over the control socket: status and tree (tables and --json),
# stop holds a group down across a sibling's one_for_all restart until
# start, restart of a supervisor restarts its subtree in order, signal
# reaches the processes, shutdown; every exit status; busctl talks to the
# same socket; a peer with another uid is refused whatever the socket's
# mode; a second airsupd does not take a live socket.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

# b and a process it forked both trap SIGUSR1: a signal reaches the group.
cat >b.sh <<'SH'
( trap 'echo kid >>kid.usr1' USR1; while :; do sleep 0.05; done ) &
trap 'echo usr1 >>b.usr1' USR1
while :; do sleep 0.05; done
SH
cat >ctl.conf <<'CONF'
[supervisor:root]
strategy = one_for_all
intensity = 20
[group:a]
command = sleep 1000
[group:b]
command = sh b.sh
[supervisor:sub]
strategy = one_for_one
[group:x]
parent = sub
command = sleep 1000
[group:y]
parent = sub
command = sleep 1000
instances = 2
CONF
start_airsupd ctl.conf
wait_log 'ready root'
wait_until 10 test -S control || fail "no control socket"
[ "$(stat -c %a control)" = 600 ] || fail "the control socket is not 0600"

# status: a row per process and supervisor; --json parses.
out=$(ctl status) || fail "status failed"
for n in root a b sub x 'y\[0\]' 'y\[1\]'; do
        echo "$out" | grep -Eq "^$n +(ready|up) " || fail "status lacks a ready $n: $out"
done
ctl --json status >status.json || fail "status --json failed"
python3 - <<'PY' || fail "status --json is not what it should be: $(cat status.json)"
import json
rows = {r["name"]: r for r in json.load(open("status.json"))}
assert rows["a"]["state"] == "ready" and rows["a"]["pid"] > 0 and rows["a"]["ready"] is True, rows["a"]
assert rows["y[1]"]["group"] == "y" and rows["root"]["kind"] == "supervisor", rows
PY
ctl tree | grep -q '^  sub \[one_for_one, 5 in 10s, permanent\] up$' || fail "tree: $(ctl tree)"
ctl --json tree | python3 -c 'import json,sys; t=json.load(sys.stdin); assert [n["name"] for n in t] == ["root","a","b","sub","x","y"], t' ||
        fail "tree --json: $(ctl --json tree)"
ctl status y >y.out && [ "$(grep -c '^y\[' y.out)" = 2 ] || fail "status y: $(cat y.out)"
# One node: its last events below the table, as systemctl status does.
ctl status x >x.out
grep -q '^Last events:$' x.out && grep -Eq ' info +ready x pid=' x.out || fail "status x shows no events: $(cat x.out)"
grep -q 'ready a pid' x.out && fail "status x shows a's events"

# stop: held down, even when a sibling's crash restarts all of root.
ctl stop b || fail "stop b failed"
ctl status b | grep -Eq '^b +stopped,held +- ' || fail "b not stopped and held: $(ctl status b)"
old_a=$(group_pid a)
kill -KILL "$old_a"
wait_until 10 eval '[ "$(group_pid a)" != "$old_a" ]' || fail "a was not restarted"
wait_log 'ready a pid=.* incarnation=2'
wait_log_count 'ready root$' 2         # the one_for_all restart is over
ctl status b | grep -Eq '^b +stopped,held ' || fail "one_for_all brought a held b back: $(ctl status b)"
log_has 'started b .*incarnation=2' && fail "b was started again while held"
ctl start b || fail "start b failed"
ctl status b | grep -Eq '^b +ready ' || fail "b not ready after start: $(ctl status b)"

# signal reaches the group's process.
ctl signal b USR1 | grep -q '^b: 1 instance signalled$' || fail "signal b USR1 said otherwise"
wait_until 10 test -s b.usr1 || fail "b did not get SIGUSR1"
wait_until 10 test -s kid.usr1 || fail "the process b forked did not get SIGUSR1"
[ "$(wc -l <b.usr1)" -eq 1 ] || fail "b got SIGUSR1 $(wc -l <b.usr1) times"

# restart of a supervisor: its subtree stops in reverse, starts in order.
mark=$(log_mark)
ctl restart sub || fail "restart sub failed"
# (a pool's instances start together: their started events come in any order)
expect_trace "$mark" '^(stopping (x|y\[[01]\])|started (x|y\[0\]))$' 'stopping y[1],stopping y[0],stopping x,started x,started y[0]'
ctl status sub | grep -Eq '^x +ready ' || fail "x not ready after restart"

# One instance of a pool: stopped and held alone, through its
# supervisor's restart too, until started; restarted alone.
pid_of() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])'; }
y0=$(pid_of 'y[0]')
ctl stop 'y[1]' || fail "stop y[1] failed"
ctl status 'y[1]' | grep -Eq '^y\[1\] +stopped,held +- ' || fail "y[1] not stopped and held: $(ctl status y)"
ctl status 'y[0]' | grep -Eq '^y\[0\] +ready ' || fail "stopping y[1] touched y[0]: $(ctl status y)"
[ "$(pid_of 'y[0]')" = "$y0" ] || fail "y[0] was restarted by the stop of y[1]"
mark=$(log_mark)
ctl restart sub || fail "restart sub (y[1] held) failed"
wait_until 10 eval "[ \"\$(pid_of 'y[0]')\" != $y0 ]" || fail "restart sub did not restart y[0]"
ctl status 'y[1]' | grep -Eq '^y\[1\] +stopped,held ' || fail "restart sub brought a held y[1] back: $(ctl status y)"
trace "$mark" '^started y\[1\]$' | grep -q . && fail "y[1] was started while held"
ctl start 'y[1]' || fail "start y[1] failed"
ctl status 'y[1]' | grep -Eq '^y\[1\] +ready ' || fail "y[1] not ready after start: $(ctl status y)"
y0=$(pid_of 'y[0]'); y1=$(pid_of 'y[1]'); x=$(pid_of x)
ctl restart 'y[0]' || fail "restart y[0] failed"
[ "$(pid_of 'y[0]')" != "$y0" ] || fail "restart y[0] kept its pid"
[ "$(pid_of 'y[1]')" = "$y1" ] && [ "$(pid_of x)" = "$x" ] || fail "restart y[0] touched its siblings"
wait_log 'manual-restart y\[0\] by=pid:'
# A start of the group releases its held instances.
ctl stop 'y[0]' && ctl start y || fail "stop y[0], start y failed"
ctl status 'y[0]' | grep -Eq '^y\[0\] +ready ' || fail "start y left y[0] down: $(ctl status y)"
# An instance cannot be started while its group is stopped.
ctl stop y || fail "stop y failed"
ctl start 'y[0]' 2>err; [ $? -eq 1 ] || fail "starting an instance of a stopped group is not a failure"
grep -q 'its group is stopped' err || fail "starting y[0] of a stopped y says: $(cat err)"
ctl status 'y[0]' | grep -Eq '^y\[0\] +stopped,held ' || fail "y[0] of a stopped y: $(ctl status y)"
ctl start y && [ "$(ctl status y | grep -Ec '^y\[[01]\] +ready ')" = 2 ] || fail "start y: $(ctl status y)"
ctl stop 'y[5]' 2>/dev/null; [ $? -eq 3 ] || fail "no such instance is not 3"

# bash completion: verbs, and the running tree's names from airsupd.
(
        PATH=$(dirname "$AIRSUPCTL"):$PATH
        . "$SRC/ctl/airsupctl.bash"
        COMP_WORDS=(airsupctl -s "$T/control" sto); COMP_CWORD=3; _airsupctl
        [ "${COMPREPLY[*]}" = stop ] || fail "completing 'sto' gave '${COMPREPLY[*]}'"
        COMP_WORDS=(airsupctl -s "$T/control" stop ""); COMP_CWORD=4; _airsupctl
        for n in root a b sub x y 'y[0]' 'y[1]'; do
                case " ${COMPREPLY[*]} " in *" $n "*) ;; *) fail "completion lacks $n: ${COMPREPLY[*]}" ;; esac
        done
) || exit 1

# Exit statuses: 2 usage, 3 no such name, 4 unreachable; 1 failed.
ctl frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "an unknown verb is not 2"
ctl stop nosuch 2>err; [ $? -eq 3 ] || fail "no such name is not 3"
grep -q 'No such group, instance or supervisor: nosuch' err || fail "no such name says: $(cat err)"
ctl stop root 2>/dev/null; [ $? -eq 1 ] || fail "stopping root is not a failure"
"$AIRSUPCTL" -s "$T/nothing" status 2>err; [ $? -eq 4 ] || fail "a missing socket is not 4"
grep -q 'no such socket' err || fail "a missing socket says: $(cat err)"

# busctl speaks to the same socket.
A="--address=unix:path=$T/control"
busctl "$A" tree org.airsup1 | grep -q '/org/airsup1/node/x' || fail "busctl tree: $(busctl "$A" tree org.airsup1 2>&1)"
busctl "$A" introspect org.airsup1 /org/airsup1 | grep -q '^\.Restart  *method  *s ' ||
        fail "busctl introspect: $(busctl "$A" introspect org.airsup1 /org/airsup1 2>&1)"
busctl "$A" get-property org.airsup1 /org/airsup1/node/a org.airsup1.Node State | grep -q '"up"' ||
        fail "busctl get-property State"
# NodeMetrics (what airsupctl status NAME reads): the samples of that
# node and its processes, none of another's nor airsupd's own.
busctl "$A" --json=short call org.airsup1 /org/airsup1 org.airsup1.Manager NodeMetrics s a >nm.json ||
        fail "busctl NodeMetrics"
python3 - nm.json <<'PY' || fail "NodeMetrics a: $(cat nm.json)"
import json, sys
rows = json.load(open(sys.argv[1]))["data"][0]
assert any(r[0] == "airsup_process_restarts_total" for r in rows), rows
for metric, _, _, labels, _ in rows:
    assert labels.startswith('node="a",') or labels.startswith('process="a",group="a"'), (metric, labels)
    assert not metric.startswith("airsupd_"), metric
PY
busctl "$A" --json=short call org.airsup1 /org/airsup1 org.airsup1.Manager NodeMetrics s nosuch | grep -q '"data":\[\[\]\]' ||
        fail "NodeMetrics of no such node: $(busctl "$A" --json=short call org.airsup1 /org/airsup1 org.airsup1.Manager NodeMetrics s nosuch 2>&1)"
# Malformed calls get errors; airsupd keeps serving.
busctl "$A" call org.airsup1 /org/airsup1 org.airsup1.Manager Stop i 3 2>/dev/null && fail "a wrong argument type was taken"
busctl "$A" call org.airsup1 /org/airsup1 org.airsup1.Manager Frob 2>/dev/null && fail "an unknown method was taken"
busctl "$A" call org.airsup1 /org/airsup1 org.airsup1.Manager Stop s "$(head -c 60000 /dev/zero | tr '\0' x)" 2>/dev/null &&
        fail "a huge name was taken"
ctl status a >/dev/null || fail "airsupd stopped serving after malformed calls"

# Another uid is refused by airsupd itself, even through a 0666 socket.
chmod 666 control
chmod 755 "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups "$AIRSUPCTL" -s "$T/control" status 2>err
st=$?
chmod 700 "$T"
chmod 600 control
[ "$st" -eq 4 ] || fail "another uid got exit $st"
grep -q 'access denied by airsupd' err || fail "the refusal says: $(cat err)"
wait_log 'control-refused control pid=[0-9]+ uid=65534'
# airsupctl asks again why: still one refusal (served after both).
ctl status a >/dev/null || fail "status after the refusal"
[ "$(log_count 'control-refused control')" -eq 1 ] || fail "one refused client, $(log_count 'control-refused') events"

# A second airsupd does not take over a live socket.
printf '[airsupd]\nstate_dir = %s/other\n[group:z]\ncommand = sleep 1000\n' "$T" >other.conf
"$AIRSUPD" -c other.conf --control "$T/control" 2>other.err
[ $? -eq 1 ] || fail "a second airsupd on a live socket did not exit 1"
grep -q "another airsupd answers on $T/control" other.err || fail "the second airsupd says: $(cat other.err)"
ctl status a >/dev/null || fail "the first airsupd lost its socket"

# shutdown: the tree stops, airsupd exits 0 and removes its socket.
ctl shutdown || fail "shutdown failed"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS after shutdown"
[ ! -e control ] || fail "the socket was left behind"

# A stale socket (its airsupd SIGKILLed) is replaced.
start_airsupd ctl.conf
wait_log 'ready root'
kill -KILL "$AIRSUPD_PID"
wait "$AIRSUPD_PID" 2>/dev/null
ctl status 2>err; [ $? -eq 4 ] || fail "a stale socket is not 4"
grep -q 'connection refused' err || fail "a stale socket says: $(cat err)"
start_airsupd ctl.conf
wait_log 'ready root'
ctl status a >/dev/null || fail "a new airsupd did not replace the stale socket"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
