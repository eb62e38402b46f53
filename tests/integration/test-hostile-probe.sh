# An exec: probe is the group's, not airsupd's (issue 24, hole 6).  A
# group running as nobody owns its probe (same uid: it can ptrace it and
# make it do anything); here the probe itself does what such a group would
# make it do: it forks a daemon (setsid, double fork, SIGTERM ignored) that
# stays.  With cgroups, that daemon:
# - was never in airsupd's own leaf (_airsupd), but in the instance's
#   cgroup (its _probe cgroup below it), under the group's limits;
# - is gone once the probe that made it has exited, while the group runs;
# - of a probe that never finishes, is gone after `airsupctl stop GROUP`
#   with the probe, and the instance's cgroup with them.
# Skips (77) where cgroup v2 is not writable, as test-cgroup.sh does.
. "$(dirname "$0")/lib.sh"

PROBE=$HOSTILE-probe
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

[ "$(id -u)" = 0 ] || { echo "skip: runs a group as nobody: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
# nobody writes its records in rec/ (and must reach it and the probe).
chmod 755 "$T"
mkdir rec
chown nobody rec
su -s /bin/sh nobody -c "test -x '$PROBE'" || { echo "skip: nobody cannot run $PROBE"; exit 77; }

cat >p.conf <<CONF
[airsupd]
cgroup = required
state_dir = $T/state
[group:left]
command = sleep 7790
user = nobody
health = exec:$PROBE daemon $T/rec/left
health_interval = 300ms
health_timeout = 20s
[group:hold]
command = sleep 7791
user = nobody
health = exec:$PROBE daemon $T/rec/hold hold
health_interval = 300ms
health_timeout = 60s
shutdown = 2s
CONF
start_airsupd p.conf
cgroup_top_or_skip
top=$CG_TOP
mount=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
rel=${top#"$mount"}
wait_log 'ready root' 20

# RECORD's daemon: "PID CGROUP".
record() {
        wait_until 20 test -s "rec/$1" || fail "the probe of $1 started no daemon"
        read -r dpid dcg <"rec/$1"
        [ -n "$dpid" ] && [ -n "$dcg" ] || fail "bad record of $1: $(cat "rec/$1")"
        echo "$1's probe left daemon $dpid in $dcg"
        case $dcg in
        */_airsupd | */_airsupd/*) fail "$1's probe ran in airsupd's own leaf $dcg" ;;
        "$rel/root/$1" | "$rel/root/$1"/*) ;;
        *) fail "$1's probe ran in $dcg, not below the instance's cgroup $rel/root/$1" ;;
        esac
}

# A probe that exits: what it left goes with it, the group untouched.
record left
wait_until 10 gone "$dpid" || fail "left's probe exited, its daemon $dpid (in $dcg) runs on"
kill -0 "$(group_pid left)" || fail "the group left did not survive its probe's daemon being killed"

# A probe still running: the group's stop takes it and its daemon.
record hold
hold_daemon=$dpid
alive "$hold_daemon" || fail "hold's daemon died before the stop"
ctl stop hold >/dev/null || fail "stop hold failed"
wait_log 'stopped hold' 20
wait_gone "$hold_daemon" 10
[ ! -d "$top/root/hold" ] || fail "hold's cgroup $top/root/hold was not removed at its stop"

# Nothing of the groups (uid nobody) ever in airsupd's leaf.
for p in $(cat "$top/_airsupd/cgroup.procs"); do
        [ "$(stat -c %u "/proc/$p" 2>/dev/null || echo 0)" = 0 ] ||
                fail "pid $p of uid $(stat -c %u "/proc/$p") in airsupd's leaf"
done

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
for f in rec/left rec/hold; do
        read -r p _ <"$f"
        gone "$p" || fail "daemon $p of $f outlived airsupd"
done
echo "ok"
