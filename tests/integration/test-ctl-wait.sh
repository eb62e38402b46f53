# airsupctl stop, start and restart return once airsupd says it is done
# (its reply, no polling): stop of a group that takes 1 s to exit returns
# only once its pid is dead; restart of a group that notifies READY=1
# 0.5 s after it starts returns with the new pid ready; --no-block returns
# while the stop goes on; a start of a supervisor that gives up returns 1
# once it has (not after --timeout); --timeout still bounds the wait; a
# restart or start of a temporary group that ends at once returns when it
# has run and ended.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
command -v systemd-notify >/dev/null || fail "systemd-notify is not installed (mk/deps.sh test)"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
pid_of() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"] or 0)'; }
ready_of() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ready"])'; }

cat >wait.conf <<'CONF'
[supervisor:root]
intensity = 100
period = 1m
[group:slow]
command = sh -c 'trap "sleep 1; exit 0" TERM; echo $$ >>trapped; while :; do sleep 0.05; done'
shutdown = 20s
[group:late]
command = sh -c 'sleep 0.5; systemd-notify --ready; exec sleep 1000'
ready = notify
[supervisor:weak]
intensity = 1
period = 1m
restart = temporary
[group:bad]
parent = weak
command = sh -c 'exit 3'
ready = notify
[group:quick]
command = sh -c 'echo $$ >>quick.runs'
restart = temporary
CONF
start_airsupd wait.conf
wait_log 'ready late'
wait_until 10 test -S control || fail "no control socket"

# slow's pid, once its shell has set its trap.
slow_pid() {
        local pid
        pid=$(pid_of slow)
        wait_until 10 grep -qx "$pid" trapped || fail "slow ($pid) did not set its trap"
        echo "$pid"
}

# stop: back only once the process is gone (it takes 1 s after TERM).
pid=$(slow_pid)
[ "$pid" -gt 0 ] || fail "slow has no pid"
ctl stop slow || fail "stop slow failed"
gone "$pid" || fail "stop slow returned with its pid $pid still alive"
ctl status slow | grep -Eq '^slow +stopped,held ' || fail "slow after stop: $(ctl status slow)"

# start: back once it runs again (no readiness to wait for).
ctl start slow || fail "start slow failed"
[ "$(ready_of slow)" = True ] || fail "start slow returned before it was ready: $(ctl status slow)"

# --no-block: back while the stop goes on.
pid=$(slow_pid)
ctl --no-block stop slow || fail "stop --no-block failed"
alive "$pid" || fail "stop --no-block waited for the process to go"
wait_gone "$pid"
ctl start slow || fail "start slow again failed"

# restart: back with a new pid, ready (READY=1 comes 0.5 s after the start).
old=$(pid_of late)
ctl restart late || fail "restart late failed"
new=$(pid_of late)
[ "$new" -gt 0 ] && [ "$new" != "$old" ] || fail "restart late: pid $old, then $new"
[ "$(ready_of late)" = True ] || fail "restart late returned before it was ready: $(ctl status late)"
gone "$old" || fail "restart late left the old pid $old alive"
ctl --json restart late >restart.json || fail "restart --json failed"
grep -q '"done":true' restart.json || fail "restart --json: $(cat restart.json)"

# A start that fails: weak gives up (bad exits before it is ready, more
# often than its intensity allows) and is not restarted (temporary); started again
# it gives up again, and the call says so then, exit 1, well before the
# timeout.
wait_log 'gave-up weak'
t0=$(date +%s)
ctl --timeout=30 start weak 2>err; rc=$?
t1=$(date +%s)
[ $rc -eq 1 ] || fail "start of a supervisor that gives up: exit $rc, not 1: $(cat err)"
grep -q 'failed' err || fail "start weak says: $(cat err)"
[ $((t1 - t0)) -lt 20 ] || fail "start weak took $((t1 - t0)) s: it waited for the timeout"

# --timeout bounds a wait: a stop that cannot end within it.
pid=$(slow_pid)
kill -STOP "$pid"
ctl --timeout=0.3 stop slow 2>err; rc=$?
[ $rc -eq 1 ] || fail "stop past --timeout: exit $rc"
grep -q 'not done after 0.3 s' err || fail "stop past --timeout says: $(cat err)"
kill -CONT "$pid"
wait_gone "$pid"

# A temporary group that ends at once: its restart and its start return
# once it ran again and ended for good (exit 0), not at --timeout.
wait_until 10 test -s quick.runs || fail "quick never ran"
ctl --timeout=20 restart quick || fail "restart of a group that ends at once: exit $?"
[ "$(wc -l <quick.runs)" -eq 2 ] || fail "quick ran $(wc -l <quick.runs) times after its restart"
ctl --timeout=20 start quick || fail "start of a group that ends at once: exit $?"
[ "$(wc -l <quick.runs)" -eq 3 ] || fail "quick ran $(wc -l <quick.runs) times after its start"

sanitizer_clean
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
