# Reload (SIGHUP and airsupctl reload): a broken file changes nothing and
# its FILE:LINE errors reach the caller; a good one stops what was
# removed (subtrees last first), restarts what changed, moves and starts
# in file order, changes in place what needs no restart, and leaves
# everything else with its pid and incarnation; a held group stays down;
# --dry-run applies nothing; a receiver's queued messages survive the
# reload and the removal of their sender.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

# pids NAME...: "NAME=PID:RESTARTS" for each, from status --json.
pids() {
        ctl --json status | python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
print(" ".join("%s=%s:%s" % (n, rows[n]["pid"], rows[n]["restarts"]) if n in rows else n + "=none"
               for n in sys.argv[1:]))' "$@"
}

mkfifo gate
cat >v1.conf <<CONF
[supervisor:root]
strategy = one_for_one
intensity = 20
[group:keep]
command = sleep 9101
[group:change]
command = sleep 9102
[group:inplace]
command = sleep 9103
backoff = 1s
[group:gone]
command = sleep 9104
[group:held]
command = sleep 9105
[supervisor:subA]
[group:mover]
parent = subA
command = sleep 9106
[group:a2]
parent = subA
command = sleep 9107
[supervisor:msup]
parent = subA
[group:m1]
parent = msup
command = sleep 9111
[supervisor:subB]
[group:b1]
parent = subB
command = sleep 9108
[supervisor:oldsup]
[group:o1]
parent = oldsup
command = sleep 9109
[group:o2]
parent = oldsup
command = sleep 9110
[group:sink]
command = $MSGPEER consume $T/out.txt --gate $T/gate
ready = notify
[group:src]
command = $MSGPEER produce sink 200
CONF
cp v1.conf reload.conf
start_airsupd reload.conf
wait_log 'ready root'
wait_until 10 test -S control || fail "no control socket"
ctl stop held >/dev/null || fail "stop held"
# The producer's 200 messages wait in the sink's lane: it is at its gate.
wait_until 10 eval 'ctl status sink | grep -q "^Mailbox of sink: 1 lane, 200 waiting"' || {
        ctl status sink
        fail "the 200 messages are not queued"
}
before=$(pids keep change inplace gone held mover a2 b1 o1 o2 sink src)

# A broken file: exit 1, its FILE:LINE to the caller, nothing changed.
sed 's/^intensity = 20$/intensity = lots/' v1.conf >reload.conf
printf '[group:nocommand]\n' >>reload.conf
ctl reload >out 2>err && fail "a broken file reloaded"
grep -q "reload.conf:3: " err || fail "no FILE:LINE from reload: $(cat err)"
grep -q "nothing changed" err || fail "reload does not say nothing changed: $(cat err)"
ctl reload --dry-run >out 2>err && fail "a broken file planned"
wait_log 'reload-failed root error="[^"]*reload.conf:3: '
log_has 'reload: .*reload.conf:3: ' || fail "the errors are not in the log"
# SIGHUP with it: the same, logged.
kill -HUP "$AIRSUPD_PID"
wait_log_count 'reload-failed root' 2
[ "$(pids keep change inplace gone held mover a2 b1 o1 o2 sink src)" = "$before" ] ||
        fail "a failed reload changed pids: $before -> $(pids keep change inplace gone held mover a2 b1 o1 o2 sink src)"

# The new file: o1, o2 (with oldsup), gone and src removed; change and held
# changed; inplace, root in place; mover to subB; fresh, newsup, n1 new.
cat >reload.conf <<CONF
[supervisor:root]
strategy = one_for_one
intensity = 30
[group:keep]
command = sleep 9101
[group:change]
command = sleep 9112
[group:inplace]
command = sleep 9103
backoff = 2s
[group:held]
command = sleep 9115
[supervisor:subA]
[group:a2]
parent = subA
command = sleep 9107
[supervisor:subB]
[group:b1]
parent = subB
command = sleep 9108
[group:mover]
parent = subB
command = sleep 9106
[supervisor:msup]
parent = subB
[group:m1]
parent = msup
command = sleep 9111
[group:sink]
command = $MSGPEER consume $T/out.txt --gate $T/gate
ready = notify
[group:fresh]
command = sleep 9120
ready = 300ms
[supervisor:newsup]
[group:n1]
parent = newsup
command = sleep 9121
CONF

# --dry-run: the plan, nothing applied.
mark=$(log_mark)
ctl reload --dry-run >plan || fail "reload --dry-run failed"
cat >want.plan <<'PLAN'
remove src group
remove o2 group
remove o1 group
remove oldsup supervisor
remove gone group
restart change command
in-place inplace backoff
restart held command
move mover from subA to subB
move msup from subA to subB
add fresh group
add newsup supervisor
add n1 group
in-place root intensity
PLAN
sed -n '2,15p' plan | awk '{ $1 = $1; print }' >got.plan
diff want.plan got.plan || fail "dry-run plan: $(cat plan)"
grep -q '^dry run, nothing applied: 3 added, 5 removed, 2 restarted, 2 moved, 2 changed in place, 7 kept' plan ||
        fail "dry-run summary: $(cat plan)"
ctl --json reload --dry-run | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["applied"] is False and o["counts"]["added"] == 3 and o["counts"]["removed"] == 5, o
assert {"action": "move", "name": "mover", "detail": "from subA to subB"} in o["plan"], o' ||
        fail "reload --dry-run --json"
[ "$(pids keep change inplace gone held mover a2 b1 o1 o2 sink src)" = "$before" ] || fail "--dry-run changed pids"
tail -n +"$((mark + 1))" "$LOG" | grep -Eq '(stopping|started) ' && fail "--dry-run stopped or started something"

mark=$(log_mark)
ctl reload >applied || fail "reload failed: $(cat applied)"
grep -q '^reloaded: 3 added, 5 removed, 2 restarted, 2 moved, 2 changed in place, 7 kept' applied ||
        fail "reload summary: $(cat applied)"
# Done means done: the new nodes are up (fresh is ready 300 ms after it started).
ctl status fresh | grep -Eq '^fresh +ready ' || fail "reload returned before fresh was ready"
ctl status n1 | grep -Eq '^n1 +ready ' || fail "reload returned before n1 was ready"
# The exact order: removals last first (src, oldsup's o2 then o1, gone),
# change restarted (and ready), mover then msup stopped under subA and
# started under subB in order (msup once mover is ready); at the root,
# fresh, then n1 once fresh is ready.
expect_trace "$mark" '^(stopped|started) (src|o2|o1|gone|change|mover|m1)$|^ready change$' \
        'stopped src,stopped o2,stopped o1,stopped gone,stopped change,started change,ready change,stopped mover,stopped m1,started mover,started m1'
expect_trace "$mark" '^(stopped|started) (fresh|n1)$|^ready fresh$' 'started fresh,ready fresh,started n1'
after=$(pids keep inplace a2 b1 sink)
[ "$after" = "$(echo "$before" | tr ' ' '\n' | grep -E '^(keep|inplace|a2|b1|sink)=' | paste -sd' ')" ] ||
        fail "untouched groups changed: $before -> $after"
pids change mover m1 held gone o1 src | grep -Eq '^change=[0-9]+:1 mover=[0-9]+:1 m1=[0-9]+:1 held=None:0 gone=none o1=none src=none$' ||
        fail "restarted, moved, held, removed: $(pids change mover m1 held gone o1 src)"
for p in 9104 9109 9110; do pgrep -f "^sleep $p\$" >/dev/null && fail "sleep $p of a removed group still runs"; done
pgrep -f '^sleep 9112$' >/dev/null || fail "change does not run its new command"
pgrep -f '^sleep 9115$' >/dev/null && fail "held was started"
ctl status held | grep -Eq '^held +stopped,held ' || fail "held is not held down: $(ctl status held)"
ctl tree >tree
grep -q '^root \[one_for_one, 30 in 10s, permanent\] up$' tree || fail "root's intensity: $(cat tree)"
grep -A4 '^  subB ' tree | grep -q '^    mover ' || fail "mover is not under subB: $(cat tree)"
grep -A4 '^  subB ' tree | grep -A1 '^    msup ' | grep -q '^      m1 ' || fail "m1 is not under subB's msup: $(cat tree)"
grep -A1 '^  newsup ' tree | grep -q '^    n1 ' || fail "n1 is not under newsup: $(cat tree)"
tail -n +"$((mark + 1))" "$LOG" | grep -Eq 'stopping (inplace|keep|a2|b1|sink) ' && fail "an untouched group was stopped"
wait_log 'reloaded root added=3 removed=5 restarted=2 moved=2 in_place=2 kept=7 '

# In place means it: inplace's new backoff (2 s) is what its next restart waits.
kill -KILL "$(group_pid inplace)"
wait_log 'restarting inplace .*delay_ms=2000'

# The sink's 200 messages survived the reload and their sender's removal.
: >gate
wait_until 10 eval '[ "$(grep -c " src$" out.txt 2>/dev/null)" -ge 200 ]' ||
        fail "the sink got $(grep -c . out.txt 2>/dev/null) of its 200 messages"
[ "$(awk '{ print $1 }' out.txt | sort -n | uniq | wc -l)" = 200 ] || fail "messages lost or doubled: $(head out.txt)"
grep -q CORRUPT out.txt && fail "a corrupt message"

# SIGHUP applies the same way: held back to its first command, nothing else.
sed 's/^command = sleep 9115$/command = sleep 9105/' reload.conf >r2 && mv r2 reload.conf
mark=$(log_mark)
kill -HUP "$AIRSUPD_PID"
wait_log 'reloaded root added=0 removed=0 restarted=1 moved=0 in_place=0 kept=14 '
tail -n +"$((mark + 1))" "$LOG" | grep -Eq '(stopping|started) ' && fail "a reload of a held group's command touched something"

# A pool: added, then given a third instance (a restart of the group).
cat >>reload.conf <<'CONF'
[group:pool]
command = sleep 9130
instances = 2
CONF
ctl reload >/dev/null || fail "reload adding pool"
pool0=$(pids 'pool[0]')
sed 's/^instances = 2$/instances = 3/' reload.conf >r2 && mv r2 reload.conf
ctl reload >out || fail "reload of pool's instances"
grep -Eq '^restart +pool +instances$' out || fail "pool's plan: $(cat out)"
pids 'pool[0]' 'pool[1]' 'pool[2]' | grep -Eq '^pool\[0\]=[0-9]+:1 pool\[1\]=[0-9]+:1 pool\[2\]=[0-9]+:0$' ||
        fail "pool after 3 instances: $(pids 'pool[0]' 'pool[1]' 'pool[2]')"
[ "$(pids 'pool[0]')" != "$pool0" ] || fail "pool[0] was not restarted"
[ "$(pgrep -fxc 'sleep 9130')" = 3 ] || fail "not 3 pool processes: $(pgrep -fxc 'sleep 9130')"

# A probe added in place: inplace keeps its pid and is probed from now on.
wait_until 10 eval 'ctl status inplace | grep -Eq "^inplace +ready "' || fail "inplace is not back"
ip=$(pids inplace)
sed '/^backoff = 2s$/a health = exec:sh -c "echo p >>probe.out"\nhealth_interval = 100ms' reload.conf >r2 && mv r2 reload.conf
ctl reload >out || fail "reload adding a probe"
grep -Eq '^in-place +inplace +health, health_interval$' out || fail "the probe's plan: $(cat out)"
wait_until 10 eval '[ "$(grep -c p probe.out 2>/dev/null)" -ge 3 ]' || fail "inplace is not probed"
[ "$(pids inplace)" = "$ip" ] || fail "inplace was restarted for its probe: $ip -> $(pids inplace)"

# Reloads while one applies wait for it (at most 64), the rest are told
# busy; every call is answered and two reloads run: the change, then one
# for all that waited.  fresh is ready 300 ms after its start.
sed 's/^command = sleep 9120$/command = sleep 9122/' reload.conf >r2 && mv r2 reload.conf
n_reloaded=$(log_count 'reloaded root ')
"$HOSTILE" ctl-reload "$T/control" 200 flood.out || fail "the reload flood was not answered"
grep -Eq '^ok=([0-9]+) busy=([0-9]+) other=0$' flood.out || fail "flood: $(cat flood.out)"
ok=$(sed 's/ok=\([0-9]*\).*/\1/' flood.out)
busy=$(sed 's/.*busy=\([0-9]*\).*/\1/' flood.out)
[ $((ok + busy)) = 200 ] && [ "$busy" -gt 0 ] && [ "$ok" -ge 2 ] && [ "$ok" -le 65 ] ||
        fail "flood: $(cat flood.out)"
[ "$(log_count 'reloaded root ')" = $((n_reloaded + 2)) ] || fail "not two reloads for the flood: $(grep 'reloaded root' "$LOG")"
log_has 'reloaded root added=0 removed=0 restarted=1 moved=0 ' || fail "the flood's reload did not restart fresh"
pgrep -fx 'sleep 9122' >/dev/null || fail "fresh does not run its new command"
kill -0 "$AIRSUPD_PID" || fail "airsupd died"

# An unchanged file: nothing at all.
ctl reload >same || fail "reload of the same file"
grep -q '^(nothing changed)$' same || fail "unchanged: $(cat same)"

# An [airsupd] key is not changed live: it is said, the rest applies.
{ printf '[airsupd]\nevents = 777\n'; sed 's/^command = sleep 9101$/command = sleep 9131/' reload.conf; } >r2 &&
        mv r2 reload.conf
ctl reload >out || fail "reload with an [airsupd] change"
grep -Eq '^airsupd +events +not changed: needs a restart of airsupd$' out || fail "[airsupd] events: $(cat out)"
grep -Eq '^restart +keep +command$' out || fail "the rest did not apply: $(cat out)"
pgrep -fx 'sleep 9131' >/dev/null || fail "keep does not run its new command"

# Counted: the two broken files (ctl and SIGHUP) failed, the rest applied.
ctl metrics --prometheus >metrics.txt || fail "metrics"
grep -q '^airsupd_reloads_total{result="failed"} 2$' metrics.txt || fail "failed reloads: $(grep reloads metrics.txt)"
grep -Eq '^airsupd_reloads_total\{result="applied"\} ([89]|[1-9][0-9])$' metrics.txt ||
        fail "applied reloads: $(grep reloads metrics.txt)"

# During a shutdown a reload is refused: slow (added now) holds it up.
cat >>reload.conf <<'CONF'
[group:slow]
command = sh -c 'trap "" TERM; echo $$ >slow.pid; while :; do sleep 0.05; done'
shutdown = 2s
CONF
ctl reload >/dev/null || fail "reload adding slow"
wait_until 10 test -s slow.pid || fail "slow did not start"
ctl --no-block shutdown >/dev/null
wait_log 'stopping slow '
ctl reload >out 2>err && fail "a reload during the shutdown was applied"
grep -q 'shutting down' err || fail "reload during shutdown: $(cat err)"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
echo "ok"
