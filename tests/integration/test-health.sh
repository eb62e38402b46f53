# Health probes on real processes.
# - watchdog: a child that sends WATCHDOG=1 (systemd's protocol, with
#   WATCHDOG_USEC and WATCHDOG_PID set for it) is never touched; stopped
#   with SIGSTOP it is found failed within interval x threshold (plus a
#   margin) and restarted as a crash (reason=health); WATCHDOG=trigger
#   fails it at once.
# - exec: a flapping probe goes degraded and back to healthy without a
#   restart; a hanging probe is killed at its timeout, counted, never
#   overlaps the next, and fails the group after health_threshold; a
#   transient group failed by its probe is restarted (an abnormal end).
# - heartbeat: a libairsup child calling airsup_heartbeat() is left alone;
#   once its loop is stuck (alive, silent) it is failed and restarted.
# - ping: libairsup answers airsupd's pings from the child's receive
#   loop; once that loop is stuck (the process alive) it fails.
# - redis-server under "exec:redis-cli ping" is restarted after SIGSTOP.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >pet.py <<'PY'
import os, signal, socket, sys
base = sys.argv[1]
addr = os.environ["NOTIFY_SOCKET"]
if addr[0] == "@":
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def send(m):
    s.sendto(m.encode(), addr)
usec = int(os.environ["WATCHDOG_USEC"])
with open(base + ".env", "w") as f:
    f.write("%d %s %d\n" % (os.getpid(), os.environ.get("WATCHDOG_PID"), usec))
n = 0
def pet(*a):
    global n
    send("WATCHDOG=1")
    n += 1
    with open(base + ".pets", "w") as f:
        f.write(str(n))
signal.signal(signal.SIGALRM, pet)
signal.signal(signal.SIGUSR2, lambda *a: send("WATCHDOG=trigger"))
send("READY=1")
signal.setitimer(signal.ITIMER_REAL, usec / 3e6, usec / 3e6)
while True:
    signal.pause()
PY
cat >probe.sh <<'SH'
#!/bin/sh
# An exec: probe steered by the file "mode": ok, fail or hang.  It notes
# any earlier probe still alive: probes must never overlap.
d=$(dirname "$0")
for p in $(cat "$d/probe.pids" 2>/dev/null); do
        kill -0 "$p" 2>/dev/null && echo "OVERLAP $p" >>"$d/probe.log"
done
echo $$ >>"$d/probe.pids"
echo "start $$" >>"$d/probe.log"
case $(cat "$d/mode") in
ok) exit 0 ;;
fail) exit 1 ;;
hang) exec sleep 7781 ;;
esac
SH
chmod +x probe.sh
echo ok >mode
pkill -KILL -x -f 'sleep 778[0-9]' 2>/dev/null

cat >h.conf <<CONF
[supervisor:root]
intensity = 100
[group:dog]
command = python3 $T/pet.py $T/dog
ready = notify
health = watchdog
health_interval = 200ms
health_threshold = 3
backoff = 10ms
[group:svc]
command = sleep 7780
health = exec:$T/probe.sh
health_interval = 200ms
health_timeout = 300ms
health_threshold = 3
backoff = 10ms
[group:hb]
command = $MSGPEER heartbeat $T/beats
health = heartbeat
health_interval = 200ms
health_threshold = 3
backoff = 10ms
[group:pinged]
command = $MSGPEER serve
health = ping
health_interval = 200ms
health_timeout = 200ms
health_threshold = 2
backoff = 10ms
[group:once]
command = sleep 7782
restart = transient
health = exec:/bin/sh -c 'test -e $T/once.failed || { touch $T/once.failed; exit 1; }'
health_interval = 100ms
health_threshold = 1
health_grace = 300ms
backoff = 10ms
CONF
start_airsupd h.conf
wait_log 'ready root' 20

# watchdog: the protocol's environment, then a long quiet run.
dog=$(group_pid dog)
read -r envpid wpid wusec <dog.env
[ "$envpid" = "$dog" ] && [ "$wpid" = "$dog" ] || fail "WATCHDOG_PID is '$wpid', the main pid $dog"
[ "$wusec" = 200000 ] || fail "WATCHDOG_USEC is $wusec, not 200000"
wait_until 20 eval '[ "$(cat dog.pets 2>/dev/null || echo 0)" -ge 45 ]' || fail "the dog did not pet 45 times"
# A loaded machine may delay one WATCHDOG=1 past an interval (degraded,
# once): touched, stopped or restarted, it never is.
log_has 'health-failed dog' && fail "a petting watchdog child was failed"
[ "$(group_pid dog)" = "$dog" ] || fail "a petting watchdog child was restarted"
ctl status dog | grep -Eq '^dog +ready .* yes +healthy ' || fail "status does not show dog healthy: $(ctl status dog)"

# SIGSTOP: failed within interval x threshold (0.6 s, less the time since
# the last WATCHDOG=1), give or take a loaded machine, then restarted as a
# crash.
t0=$(date +%s.%N)
kill -STOP "$dog"
wait_log 'health-failed dog ' 10
t1=$(event_time 'health-failed dog ')
kill -CONT "$dog" 2>/dev/null
python3 -c "import sys; d = $t1 - $t0; print('detected in %.3f s' % d); sys.exit(0 if 0.5 <= d <= 1.6 else 1)" ||
        fail "a stopped watchdog child was found failed outside 0.5 .. 1.6 s"
wait_log "exited dog pid=$dog incarnation=1 .*reason=health"
wait_log 'ready dog pid=[0-9]+ incarnation=2' 10

# WATCHDOG=trigger: failed at once, whatever the threshold.
dog2=$(group_pid dog)
kill -USR2 "$dog2"
wait_log 'health-failed dog .*reason="WATCHDOG=trigger"' 5
wait_log 'ready dog pid=[0-9]+ incarnation=3' 10

# exec: flapping is degraded then healthy, with no restart.
svc=$(group_pid svc)
echo fail >mode
wait_log 'degraded svc .*reason="probe exited with status 1"' 10
# Healthy again after that: a "healthy svc" line from before (a probe
# slowed past its timeout by a loaded machine, then fine) is not it.
mark=$(log_mark)
echo ok >mode
wait_until 10 eval 'tail -n +$mark "$LOG" | grep -q "healthy svc "' || fail "svc did not become healthy again"
log_has 'health-failed svc' && fail "a flapping probe failed the group"
[ "$(group_pid svc)" = "$svc" ] || fail "a flapping probe restarted the group"
[ "$(ctl metrics | awk '$1 == "airsup_process_health" && $2 ~ /"svc"/ { print $NF }')" = 1 ] ||
        fail "airsup_process_health of svc is not 1 (healthy)"

# exec: a hanging probe is killed at 300 ms, three times, then the group
# goes; no probe ever overlaps another.
echo hang >mode
wait_log 'degraded svc .*reason="probe did not finish within 300 ms"' 10
wait_log 'health-failed svc .*failures=3' 10
wait_log "exited svc pid=$svc incarnation=1 .*reason=health" 10
echo ok >mode
wait_log 'started svc pid=[0-9]+ incarnation=2' 10
grep -q OVERLAP probe.log && fail "probes overlapped: $(grep OVERLAP probe.log)"
wait_until 5 eval '! pgrep -x -f "sleep 7781" >/dev/null' || fail "a timed-out probe is still running"
[ "$(ctl metrics | awk '$1 == "airsup_process_probe_failures_total" && $2 ~ /"svc"/ { print $NF }')" -ge 4 ] ||
        fail "airsup_process_probe_failures_total of svc is below 4"

# heartbeat: beating, left alone; stuck, failed and restarted.
hb=$(group_pid hb)
wait_until 20 eval '[ "$(cat beats 2>/dev/null || echo 0)" -ge 20 ]' || fail "the heartbeat child did not beat 20 times"
log_has 'health-failed hb' && fail "a beating child was failed"
kill -USR1 "$hb"
wait_log 'health-failed hb .*reason="no heartbeat within 200 ms"' 10
wait_log "exited hb pid=$hb incarnation=1 .*reason=health" 10
wait_log 'started hb pid=[0-9]+ incarnation=2' 10

# ping: answered while the loop runs; stuck, no PONG, failed.
pinged=$(group_pid pinged)
probes() { ctl metrics | awk -v g="\"$1\"" '$1 == "airsup_process_probes_total" && index($2, g) { print $NF }'; }
wait_until 20 eval '[ "$(probes pinged)" -ge 10 ]' || fail "pinged was not pinged 10 times ($(probes pinged))"
log_has 'health-failed pinged' && fail "a child that answers its pings was failed"
kill -USR1 "$pinged"
wait_log 'health-failed pinged .*reason="no PONG within 200 ms"' 10
wait_log "exited pinged pid=$pinged incarnation=1 .*reason=health" 10
wait_log 'started pinged pid=[0-9]+ incarnation=2' 10

# A transient group stopped for its health ended abnormally: restarted
# (its probe fails once only).
wait_log 'health-failed once ' 10
wait_log 'exited once .*signal=TERM reason=health' 10
wait_log 'started once pid=[0-9]+ incarnation=2' 10
log_has 'not-restarted once' && fail "a transient group failed by its probe was not restarted"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30

# redis-server, probed with redis-cli: SIGSTOP makes the probe hang.
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
        port=$((20000 + $$ % 20000))
        cat >r.conf <<CONF
[group:redis]
command = redis-server --port $port --save "" --appendonly no --dir $T
health = exec:redis-cli -p $port ping
health_interval = 200ms
health_timeout = 500ms
health_threshold = 2
health_grace = 300ms
backoff = 10ms
stdout = null
CONF
        : >"$LOG"
        start_airsupd r.conf
        wait_log 'ready root' 20
        wait_until 10 redis-cli -p "$port" ping >/dev/null || fail "redis-server does not answer"
        redis=$(group_pid redis)
        wait_until 5 eval 'ctl status redis | grep -q " healthy "' || fail "redis is not healthy"
        kill -STOP "$redis"
        wait_log 'health-failed redis .*reason="probe did not finish within 500 ms"' 10
        wait_log 'ready redis pid=[0-9]+ incarnation=2' 15
        wait_until 10 redis-cli -p "$port" ping >/dev/null || fail "the restarted redis-server does not answer"
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit 30
fi
exit 0
