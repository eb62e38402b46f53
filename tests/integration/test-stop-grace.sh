# A child that ignores its stop signal is killed after the shutdown grace;
# brutal_kill kills at once; SIGTERM to airsupd stops in reverse order.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[group:polite]
command = sh -c 'echo \$\$ > polite.pid; exec sleep 1000'
[group:stubborn]
command = sh -c 'trap "" TERM; echo \$\$ > stubborn.pid; while :; do sleep 1; done'
shutdown = 700ms
[group:brutal]
command = sh -c 'trap "" TERM; echo \$\$ > brutal.pid; while :; do sleep 1; done'
shutdown = brutal_kill
CONF

start_airsupd airsup.conf
wait_log 'ready brutal'
wait_log 'ready stubborn'
wait_log 'ready polite'
wait_until 5 test -s brutal.pid || fail "brutal did not write its pid"
wait_until 5 test -s stubborn.pid || fail "stubborn did not write its pid"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS after SIGTERM"

for g in polite stubborn brutal; do
        gone "$(cat $g.pid)" || fail "$g still alive"
done
log_has 'exited brutal .*signal=KILL' || fail "brutal was not SIGKILLed"
log_has 'killing brutal' && fail "brutal_kill waited for a grace"
log_has 'killing stubborn' || fail "stubborn was not escalated to SIGKILL"
log_has 'exited stubborn .*signal=KILL' || fail "stubborn did not die of SIGKILL"
log_has 'exited polite .*signal=TERM' || fail "polite did not get SIGTERM"

t0=$(event_time 'stopping stubborn')
t1=$(event_time 'killing stubborn')
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.69) }' || fail "SIGKILL came $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}') s after the stop signal, grace was 0.7 s"

# Reverse start order: brutal, stubborn, polite.
grep -E ' stopped ' "$LOG" | awk '{print $4}' | tr '\n' ' ' >order
[ "$(cat order)" = "brutal stubborn polite " ] || fail "stop order was $(cat order)"
