# With a cgroup per group (cgroup = required) nothing escapes: a child
# that starts "setsid sleep &", a classic double-forking daemon and a fast
# fork loop of setsid'd processes that ignore SIGTERM are all gone after
# the group's stop, its restart and airsupd's shutdown.  A group whose
# main exits and leaves a process behind is known empty from cgroup.events,
# with no polling (the poll counter stays 0), and the cgroups go once
# stopped.  Then the same daemon under cgroup = off: its double-forked
# grandchild survives a restart, which is what the cgroup prevents.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
# The processes whose command line is exactly "sleep N".
sleepers() { pgrep -x -f "sleep $1" | paste -sd' ' -; }
count() { pgrep -c -x -f "sleep $1"; }

cat >daemon.sh <<'SH'
#!/bin/sh
# A classic daemon: fork, setsid in the child, fork again, the child exits.
( setsid sh -c 'exec sleep 7771' & )
setsid sleep 7772 &
exec sleep 7770
SH
cat >forker.sh <<'SH'
#!/bin/sh
# Forks as fast as it can, each child in a session of its own, none of
# them (nor the loop) stopped by SIGTERM.
trap '' TERM
i=0
while [ $i -lt 4000 ]; do
        setsid sleep 7773 &
        i=$((i + 1))
done
exec sleep 7774
SH
cat >leaver.sh <<'SH'
#!/bin/sh
# Leaves a process behind: out of its session with "setsid", else in it.
$1 sleep 7775 &
echo "$!" > leaver.pid
exit 3
SH
chmod +x daemon.sh forker.sh leaver.sh
# What an earlier failed run of this test left (under cgroup = off).
pkill -KILL -x -f 'sleep 777[0-9]' 2>/dev/null

cat >c.conf <<CONF
[airsupd]
cgroup = required
[group:web]
command = $T/daemon.sh
shutdown = 2s
[group:forky]
command = $T/forker.sh
shutdown = 300ms
[group:left]
command = $T/leaver.sh setsid
workdir = $T
restart = temporary
shutdown = 10s
CONF
start_airsupd c.conf
cgroup_top_or_skip
top=$CG_TOP
grep -qx "$AIRSUPD_PID" "$top/_airsupd/cgroup.procs" || fail "airsupd is not in its own leaf"
wait_log 'ready root' 20

# Everything of web, in web's cgroup, whatever sessions it made.
wait_until 10 eval '[ -n "$(sleepers 7771)" ] && [ -n "$(sleepers 7772)" ]' || fail "web's daemons did not start"
old="$(sleepers 7770) $(sleepers 7771) $(sleepers 7772)"
for p in $old; do
        grep -qx "$p" "$top/root/web/cgroup.procs" || fail "pid $p of web is not in $top/root/web"
done
[ "$(ps -o sid= -p "$(sleepers 7771)" | tr -d ' ')" != "$(ps -o sid= -p "$(sleepers 7770)" | tr -d ' ')" ] ||
        fail "the double-forked daemon did not leave the session"

ctl status web | grep -Eq "^Cgroup of web: $top/root/web, cpu [0-9.]+ s" ||
        fail "status does not show web's cgroup: $(ctl status web)"
ctl metrics | grep -q "^airsup_process_cgroup_info .*cgroup=\"$top/root/web\"" || fail "no cgroup_info metric"
# A restart leaves none of the old ones.
ctl restart web >/dev/null || fail "restart web failed"
for p in $old; do
        gone "$p" || fail "pid $p of web survived its restart"
done
wait_until 10 eval '[ -n "$(sleepers 7771)" ]' || fail "web's daemon did not start again"

# The left-over of a main that exited: stopped, and its end known from
# cgroup.events, never from a poll.
wait_log 'leftovers left' 10
wait_log 'stopped left|not-restarted left' 20
gone "$(cat leaver.pid)" || fail "left's left-over is still alive"
polls=$(ctl metrics | awk '$1 == "airsupd_group_polls_total" { print $NF }')
[ "$polls" = 0 ] || fail "airsupd polled process groups $polls times with cgroups"

# The fork loop: thousands of processes in sessions of their own, none
# of which takes SIGTERM.  A stop ends all of them.
wait_until 30 eval '[ "$(count 7773)" -ge 300 ]' || fail "the fork loop did not get going ($(count 7773))"
ctl stop forky >/dev/null || fail "stop forky failed"
[ "$(count 7773)" = 0 ] || fail "$(count 7773) processes of the fork loop survived its stop"
[ -z "$(sleepers 7774)" ] || fail "the fork loop's main survived its stop"
[ ! -e "$top/root/forky" ] || fail "forky's cgroup is still there after its stop"

# airsupd's shutdown: nothing of web left, and every cgroup gone.
web="$(sleepers 7770) $(sleepers 7771) $(sleepers 7772)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
for p in $web; do
        gone "$p" || fail "pid $p of web survived airsupd's shutdown"
done
case $(basename "$top") in
airsupd-*) [ ! -e "$top" ] || fail "$top is still there after shutdown" ;;
*) [ -z "$(find "$top" -mindepth 1 -type d)" ] || fail "cgroups left after shutdown: $(find "$top" -type d)" ;;
esac

# airsupd killed with SIGKILL leaves its tree running in its cgroups: the
# next airsupd of the deployment (same state directory) kills all of it,
# setsid'd daemons too, and removes the cgroups.
cat >k.conf <<CONF
[airsupd]
cgroup = required
state_dir = $T/state
[group:web]
command = $T/daemon.sh
CONF
: >"$LOG"
start_airsupd k.conf
wait_log 'ready root' 20
wait_until 10 eval '[ -n "$(sleepers 7771)" ] && [ -n "$(sleepers 7772)" ]' || fail "web's daemons did not start"
killed="$(sleepers 7770) $(sleepers 7771) $(sleepers 7772)"
ktop=$(sed -n 's/.* cgroup root \(\/[^ ]*\) controllers=.*/\1/p' "$LOG" | head -n 1)
kill -KILL "$AIRSUPD_PID"
wait "$AIRSUPD_PID" 2>/dev/null
for p in $killed; do
        alive "$p" || fail "pid $p died with airsupd: nothing left to clean?"
done
: >"$LOG"
start_airsupd k.conf
wait_log 'ready root' 20
log_has "cgroup $ktop/.* of a previous airsupd for this deployment holds processes: killing them" ||
        fail "the next airsupd did not kill the last one's cgroups"
for p in $killed; do
        gone "$p" || fail "pid $p of the killed airsupd survived the next one's start"
done
case $(basename "$ktop") in
airsupd-*) [ ! -e "$ktop" ] || fail "the killed airsupd's $ktop is still there" ;;
esac
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ ! -e "$T/state/cgroup" ] || fail "a clean exit left its cgroup record"

# cgroup = off: process groups, as before.  The double-forked grandchild
# left the process group and the session, and survives the restart; a
# left-over in the process group is polled for.
cat >o.conf <<CONF
[airsupd]
cgroup = off
[group:web]
command = $T/daemon.sh
shutdown = 2s
[group:left]
command = $T/leaver.sh
workdir = $T
restart = temporary
CONF
: >"$LOG"
start_airsupd o.conf
wait_log 'ready root' 20
log_has ' cgroup ' && fail "cgroup = off still made cgroups"
wait_until 10 eval '[ -n "$(sleepers 7771)" ]' || fail "web's daemon did not start"
escaped=$(sleepers 7771)
echo "$escaped" > escaped.pid
wait_log 'leftovers left' 10
wait_log 'not-restarted left|stopped left' 20
polls=$(ctl metrics | awk '$1 == "airsupd_group_polls_total" { print $NF }')
[ "${polls:-0}" -gt 0 ] || fail "without cgroups the left-over was not polled for ($polls)"
ctl restart web >/dev/null || fail "restart web failed"
alive "$escaped" || fail "under cgroup = off the double-forked daemon was stopped: was it contained after all?"
kill -KILL "$escaped"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
pkill -KILL -x -f 'sleep 7771' 2>/dev/null

# A group named as a cgroup file cannot have its cgroup: refused at start
# with the line, not a failed start later.
printf '[group:ok]\ncommand = /bin/true\n[group:cgroup.procs]\ncommand = /bin/true\n' >n.conf
: >"$LOG"
start_airsupd n.conf
wait_airsupd_exit 10
[ "$AIRSUPD_STATUS" = 78 ] || fail "a group named cgroup.procs: exit $AIRSUPD_STATUS, not 78"
log_has "n.conf:3: \[group:cgroup.procs\]: a name beginning with 'cgroup.' is the cgroup file system's" ||
        fail "the refusal does not say why: $(cat "$LOG")"

# cgroup = required where airsupd may not write its cgroup (as nobody):
# exit 78 with the reason; under auto the same airsupd runs, on process
# groups, and says why once.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
        chmod 711 "$T"
        mkdir nb && chown nobody:nogroup nb       # nobody's own: airsupd refuses a 0777 one
        printf '[airsupd]\ncgroup = required\nstate_dir = %s/nb/state\n[group:x]\ncommand = /bin/sleep 1000\n' "$T" >nb/r.conf
        chmod 644 nb/r.conf
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$AIRSUPD" -c nb/r.conf --log=stderr \
                --control "$T/nb/control" 2>nb/r.log
        rc=$?
        [ "$rc" = 78 ] || fail "cgroup = required as nobody: exit $rc, not 78: $(cat nb/r.log)"
        grep -q "airsupd: cgroup = required: .* is not writable" nb/r.log || fail "no reason given: $(cat nb/r.log)"
        sed -i 's/required/auto/' nb/r.conf
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$AIRSUPD" -c nb/r.conf --log=stderr \
                --control "$T/nb/control" 2>nb/a.log &
        AIRSUPD_PID=$!
        wait_until 10 grep -q 'ready root' nb/a.log || fail "airsupd as nobody under auto did not come up: $(cat nb/a.log)"
        [ "$(grep -c ' cgroup root ' nb/a.log)" = 1 ] || fail "not one cgroup event: $(cat nb/a.log)"
        grep -q 'warning cgroup root none: .* is not writable.*; using process groups' nb/a.log ||
                fail "auto did not say why it uses process groups: $(cat nb/a.log)"
        kill -TERM "$AIRSUPD_PID"
        wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd as nobody did not stop"
        AIRSUPD_PID=
fi
exit 0
