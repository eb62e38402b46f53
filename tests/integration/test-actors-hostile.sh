# Processes that lie about their actors: a table with n far past its
# capacity, names without NUL or with escape codes, enums out of range
# and parents in a loop; a capacity beyond the memfd; an unsealed
# memfd; a sealed one it tries to shrink; a pipe for a memfd; a seq
# kept odd while it rewrites; 100,000 actor events; DEAD records naming
# lanes that are not there.  airsupd stays up and answers, refuses what
# it cannot map safely (with a warning), shows what it took sanitised,
# keeps at most its burst of events a second from the flood and says
# how many it held back, and makes no dead letter of a forged lane.
. "$(dirname "$0")/lib.sh"

HA=$(dirname "$HOSTILE")/hostile-actors
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >airsup.conf <<CONF
[airsupd]
dead_letters = 50
CONF
for mode in lying bigcap unsealed shrink pipe oddseq flood deadbogus; do
        printf '[group:%s]\ncommand = %s %s %s\n' "$mode" "$HA" "$mode" "$T/$mode.out" >>airsup.conf
done
start_airsupd airsup.conf
wait_log 'ready root' 30
for mode in lying bigcap unsealed shrink pipe oddseq deadbogus; do
        wait_until 20 test -s "$mode.out" || fail "$mode wrote nothing"
done
wait_until 60 grep -q '^flooded' flood.out || fail "the flood did not end"
timeout 5 "$AIRSUPCTL" -s "$T/control" status >status.txt || fail "status did not answer"

# The lying table: what can be trusted, the rest shown as such.
ctl actors lying >lying.txt || fail "actors lying: $(cat lying.txt)"
cat lying.txt
grep -q '^lying: 18446744073709551615 actors, .*; listing 4 of 18446744073709551615$' lying.txt || fail "lying's header"
grep -Eq '^ *\? +actor' lying.txt || fail "the name without NUL is not shown as ?"
grep -q 'bad name' lying.txt && fail "a name that is not one was shown"
grep -q "$(printf '\033')" lying.txt && fail "an escape code reached the terminal"
grep -q 'badstate\|badkind' lying.txt && fail "an entry with a bad enum was shown"
grep -Eq '^(fine|loop) ' lying.txt || fail "the loop has no root: $(cat lying.txt)"
ctl --json actors lying | python3 -c '
import json, sys
i = json.load(sys.stdin)[0]
assert i["listed"] == 4, i
for r in i["rows"]:
    assert r["parent"] is None or 0 <= r["parent"] < 4, r' || fail "actors --json lying: $(ctl --json actors lying)"

ctl actors bigcap | grep -q '^bigcap: not an actor table$' || fail "bigcap: $(ctl actors bigcap)"
for mode in unsealed pipe; do
        ctl actors $mode | grep -q "^$mode: no actors published$" || fail "$mode: $(ctl actors $mode)"
        log_has "$mode pid [0-9]+: its actor table is not a sealed memfd" || fail "no warning for $mode"
done
grep -q '^shrink refused$' shrink.out || fail "shrink: $(cat shrink.out)"
ctl actors shrink | grep -q '^shrink: 3 actors' || fail "shrink: $(ctl actors shrink)"
ctl actors oddseq >oddseq.txt || fail "actors oddseq"
grep -q '^oddseq: 3 actors.*listing 5 of 5 (torn: the process kept changing it)$' oddseq.txt ||
        fail "oddseq: $(cat oddseq.txt)"
grep -Eq '^  cach[ef] ' oddseq.txt || fail "oddseq's rows: $(cat oddseq.txt)"

# The flood: the burst a second, then one event saying how many were held back.
wait_log 'actor-events-suppressed flood .*suppressed=[0-9]+ by=airsupd'
wait_log 'actor-stopped flood .*actor=last'
kept=$(log_count 'actor-started flood ')
held=$(sed -n 's/.*actor-events-suppressed flood .*suppressed=\([0-9]*\) by=airsupd.*/\1/p' "$LOG" | awk '{s += $1} END {print s}')
echo "flood: $kept events kept, $held held back"
[ "$kept" -le 2000 ] || fail "the flood made $kept events"
[ $((kept + held)) -eq 100000 ] || fail "kept $kept + held $held is not 100000"
ctl events -n 5000 flood | wc -l | awk '{ exit !($1 <= 2100) }' || fail "the flood's history is too long"

# Forged lanes: no dead letter, no event.
log_has 'dead-letter deadbogus' && fail "a forged lane index made a dead letter"
[ "$(ctl --json dead-letters deadbogus)" = "[ ]" ] || [ "$(ctl --json dead-letters deadbogus)" = "[]" ] ||
        fail "dead letters: $(ctl dead-letters deadbogus)"

# Still itself: every group is running, the metrics answer.
for mode in lying bigcap unsealed shrink pipe oddseq flood deadbogus; do
        group_pid "$mode" >/dev/null || fail "$mode is not running"
done
ctl metrics --prometheus >prom.txt || fail "metrics failed"
grep -q '^airsup_actors{process="lying",group="lying"} 1.8446744073709552e+19$' prom.txt ||
        grep -q '^airsup_actors{process="lying",group="lying"} ' prom.txt || fail "lying's metrics: $(grep actors prom.txt)"
grep -q 'airsup_actors{process="bigcap"' prom.txt && fail "bigcap has actor metrics"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
sanitizer_clean
exit 0
