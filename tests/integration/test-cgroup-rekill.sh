# A group whose cgroup was killed through cgroup.kill restarts in it
# alive.  On some kernels (6.18 here) a cgroup once killed so kills at
# birth every child later cloned into it (CLONE_INTO_CGROUP): a group
# whose leftovers needed a SIGKILL then died of SIGKILL at each restart
# before it ran, and gave up.  Its exec: probes, in the cgroup below it,
# too.  Skips (77) where cgroup v2 is not writable, as test-cgroup.sh does.
. "$(dirname "$0")/lib.sh"

cat >svc.sh <<'SH'
#!/bin/sh
# The first incarnation leaves a process that ignores SIGTERM and exits:
# its leftovers get the SIGKILL (cgroup.kill) at the end of the grace.
# The next ones note their pid and stay.
if [ ! -e first.done ]; then
        : >first.done
        sh -c 'trap "" TERM; : >left.ready; exec sleep 7785' &
        while [ ! -e left.ready ]; do sleep 0.01; done
        exit 1
fi
echo $$ >>svc.pids
exec sleep 7786
SH
chmod +x svc.sh
cat >ok.sh <<'SH'
#!/bin/sh
echo $$ >>"$(dirname "$0")/probes"
SH
chmod +x ok.sh

cat >r.conf <<CONF
[airsupd]
cgroup = required
state_dir = $T/state
[group:svc]
command = $T/svc.sh
workdir = $T
shutdown = 300ms
backoff = 10ms
health = exec:$T/ok.sh
health_interval = 100ms
health_timeout = 5s
CONF
start_airsupd r.conf
cgroup_top_or_skip
wait_log 'killing svc pid=[0-9]+ incarnation=1' 20
wait_until 20 test -s svc.pids || fail "no incarnation after the first ran: $(grep -c 'exited svc' "$LOG") exits"
log_has 'exited svc pid=[0-9]+ incarnation=2 signal=KILL' && fail "incarnation 2 was killed at birth"
pid=$(head -n 1 svc.pids)
alive "$pid" || fail "incarnation 2 ($pid) does not run"
# Its probes run (and succeed) in the cgroup made anew.
n=$(wc -l <probes 2>/dev/null || echo 0)
wait_until 20 eval "[ \$(wc -l <probes) -ge $((n + 3)) ]" || fail "the probes of incarnation 2 do not run"
log_has 'degraded svc' && fail "a probe failed: $(grep 'degraded svc' "$LOG" | head -n 1)"
[ "$(wc -l <svc.pids)" = 1 ] || fail "svc restarted again: $(cat svc.pids)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
gone "$pid" || fail "svc outlived airsupd"
echo "ok"
