# [airsupd] nice: by default airsupd stays as started; set, airsupd and its
# spawner run at that nice value, every
# group's process and exec: probe at the one airsupd was started with;
# where airsupd leads its session (a service, a container's PID 1), its
# session's autogroup takes the value too, and a group's own session
# (setsid) is an autogroup at 0; a hand-started airsupd leaves its shell's
# autogroup alone; a value outside -20..19 is a FILE:LINE error.
. "$(dirname "$0")/lib.sh"

nice_of() { awk '{ sub(/^.*\) /, ""); print $17 }' "/proc/$1/stat"; }
spawner_pid() { pgrep -P "$AIRSUPD_PID" -x airsupd-spawner | head -n 1; }
base=$(nice_of $$)

# 1. Values outside -20..19 are refused with FILE:LINE.
for v in -21 20 abc -- 1.5 ''; do
        printf '[airsupd]\nnice = %s\n[group:a]\ncommand = sleep 1000\n' "$v" >bad.conf
        out=$("$AIRSUPD" --check -c bad.conf 2>&1) && fail "nice = '$v' was accepted"
        echo "$out" | grep -q 'bad.conf:2: nice: expected a nice value from -20 to 19' ||
                fail "nice = '$v': $out"
done
printf '[airsupd]\nnice = +5\n[group:a]\ncommand = sleep 1000\n' >ok.conf
"$AIRSUPD" --check -c ok.conf >/dev/null 2>&1 || fail "nice = +5 was refused"

can_lower=0
if [ "$(id -u)" -eq 0 ] || [ "$(ulimit -e)" -ge 27 ] 2>/dev/null; then
        can_lower=1
fi

# 2. No key: airsupd as it was started, and not a word about it.
printf '[group:g]\ncommand = sleep 1000\n' >plain.conf
start_airsupd plain.conf
wait_log 'ready g ' 20
[ "$(nice_of "$AIRSUPD_PID")" -eq "$base" ] || fail "airsupd's nice without the key: $(nice_of "$AIRSUPD_PID")"
log_has ' nice ' && fail "a nice line without the key: $(grep ' nice ' "$LOG")"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20

# 3. Started by hand (in this shell's session): airsupd at -7, the spawner
#    too, the group and its probe at ours; our autogroup untouched.
cat >probe.sh <<EOF
#!/bin/sh
awk '{ sub(/^.*\\) /, ""); print \$17 }' /proc/\$\$/stat >>$T/probe-nice
EOF
chmod +x probe.sh
printf '[airsupd]\nnice = -7\n[group:g]\ncommand = sleep 1000\nhealth = exec:%s/probe.sh\nhealth_interval = 100ms\n' "$T" >run.conf
ag0=$(cat /proc/self/autogroup 2>/dev/null)
start_airsupd run.conf
wait_log 'ready g ' 20
if [ $can_lower -eq 1 ]; then
        log_has 'info airsupd: nice -7 \(started at '"$base"'; children get '"$base"'\)$' ||
                fail "no nice line: $(grep nice "$LOG")"
        [ "$(nice_of "$AIRSUPD_PID")" -eq -7 ] || fail "airsupd's nice: $(nice_of "$AIRSUPD_PID")"
        wait_until 10 test -n "$(spawner_pid)" || fail "no airsupd-spawner"
        [ "$(nice_of "$(spawner_pid)")" -eq -7 ] || fail "the spawner's nice: $(nice_of "$(spawner_pid)")"
else
        log_has "nice stays $base: cannot set -7" || fail "no refusal line: $(grep nice "$LOG")"
fi
[ "$(nice_of "$(group_pid g)")" -eq "$base" ] || fail "g's nice: $(nice_of "$(group_pid g)"), not $base"
wait_until 10 test -s "$T/probe-nice" || fail "the probe never ran"
[ "$(head -n 1 "$T/probe-nice")" -eq "$base" ] || fail "the probe's nice: $(head -n 1 "$T/probe-nice")"
[ "$(cat /proc/self/autogroup 2>/dev/null)" = "$ag0" ] ||
        fail "our autogroup changed: $ag0 -> $(cat /proc/self/autogroup)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# 4. Leading its own session, as a service does: its autogroup at -7, the
#    group's session an autogroup of its own at 0.
if [ -e /proc/self/autogroup ] && [ $can_lower -eq 1 ]; then
        : >"$LOG"
        setsid "$AIRSUPD" -c run.conf --log=stderr -v --control "$T/control" 2>>"$LOG" &
        AIRSUPD_PID=$!
        wait_log 'ready g ' 20
        [ "$(ps -o sid= -p "$AIRSUPD_PID" | tr -d ' ')" = "$AIRSUPD_PID" ] || fail "airsupd does not lead its session"
        log_has "nice -7 .*its session's autogroup too" || fail "autogroup not set: $(grep nice "$LOG")"
        grep -q ' nice -7$' "/proc/$AIRSUPD_PID/autogroup" || fail "airsupd's autogroup: $(cat "/proc/$AIRSUPD_PID/autogroup")"
        g=$(group_pid g)
        grep -q ' nice 0$' "/proc/$g/autogroup" || fail "g's autogroup: $(cat "/proc/$g/autogroup")"
        [ "$(cut -d' ' -f1 "/proc/$g/autogroup")" != "$(cut -d' ' -f1 "/proc/$AIRSUPD_PID/autogroup")" ] ||
                fail "g shares airsupd's autogroup"
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit 20
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
else
        echo "no autogroups here (or no privilege): the session case is not tested"
fi
echo ok
