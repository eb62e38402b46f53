# A process that publishes an honest actor table: airsupctl actors shows
# it per instance (totals, "listing N of M", actors indented under their
# supervisors, #ID for an unnamed one), --json has every field, exit 3
# for no such name, "no actors published" for a group that did not; its
# actor events are events of the instance; a dead letter it reports on a
# lane names the lane's sender as airsupd knows it (a forged lane index
# is dropped); the metrics carry its totals; when it restarts, its old
# table is gone until it publishes again.
. "$(dirname "$0")/lib.sh"

HA=$(dirname "$HOSTILE")/hostile-actors
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >airsup.conf <<CONF
[airsupd]
dead_letters = 5
[group:honest]
command = $HA honest $T/honest.out
backoff = 0
[group:plain]
command = sleep 1000
[group:src]
command = $MSGPEER produce honest 1
restart = temporary
CONF
start_airsupd airsup.conf
wait_log 'ready root' 30
wait_until 20 grep -q '^dead sent' honest.out || fail "honest: $(cat honest.out 2>&1)"

ctl actors honest >actors.txt || fail "actors honest: $(cat actors.txt)"
cat actors.txt
grep -q '^honest: 3 actors, 2 supervisors, 120 processed, 1 failures, 1 restarts, 0 escalations, 1 dead letters, 3 queued; listing 5 of 5$' actors.txt ||
        fail "the header"
grep -Eq '^NAME +KIND +STATE +DEPTH +PROCESSED +RESTARTS +LAST ERROR$' actors.txt || fail "the column header"
grep -Eq '^root +supervisor +running +0 +0 +0  -$' actors.txt || fail "root's row"
grep -Eq '^  cache +actor +running +2 +60 +1  EIO$' actors.txt || fail "cache's row"
grep -Eq '^  db +supervisor +running' actors.txt || fail "db's row"
grep -Eq '^    writer +actor +running +1 +50 +0  -$' actors.txt || fail "writer's row"
grep -Eq '^    #77 +actor +running +0 +10 +0  -$' actors.txt || fail "the unnamed actor's row"
# Tree order: db's children come after db, not after cache.
[ "$(grep -Eo '^ *[#a-z0-9]+ ' actors.txt | tr -d ' ' | tr '\n' ,)" = "root,cache,db,writer,#77," ] ||
        fail "the order: $(grep -Eo '^ *[#a-z0-9]+ ' actors.txt | tr -d ' ' | tr '\n' ,)"

ctl --json actors 'honest[0]' >actors.json 2>&1 || ctl --json actors honest >actors.json || fail "actors --json"
python3 - <<'PY' || fail "actors --json: $(cat actors.json)"
import json
d = json.load(open("actors.json"))
assert len(d) == 1, d
i = d[0]
assert i["instance"] == "honest" and i["note"] == "" and i["actors"] == 3 and i["supervisors"] == 2, i
assert i["dead_letters"] == 1 and i["queued"] == 3 and i["listed"] == 5, i
rows = {r["name"] or "#%d" % r["id"]: r for r in i["rows"]}
assert rows["writer"]["parent"] == 2 and rows["root"]["parent"] is None, rows
assert rows["cache"]["last_error"] == -5 and rows["cache"]["kind"] == "actor", rows
assert rows["db"]["kind"] == "supervisor" and rows["#77"]["id"] == 77, rows
PY

ctl actors plain | grep -q '^plain: no actors published$' || fail "plain: $(ctl actors plain)"
ctl actors nosuch >/dev/null 2>&1; [ $? -eq 3 ] || fail "actors of no such name is not 3"
ctl actors root >/dev/null 2>&1; [ $? -ne 0 ] || fail "actors of a supervisor succeeded"

# Its events, as events of the instance.
wait_log 'actor-started honest pid=[0-9]+ incarnation=1 actor=cache$'
wait_log 'actor-failed honest pid=[0-9]+ incarnation=1 actor=cache error=EIO answer=restart detail="boom"'
wait_log 'actor-restarted honest .*actor=cache'
wait_log 'actor-stopped honest .*actor=#77 error=12345'
ctl events -n 50 honest >events.txt || fail "events honest"
grep -Eq ' warning +actor-failed honest .*actor=cache error=EIO answer=restart' events.txt ||
        fail "events: $(cat events.txt)"

# The dead letter: the sender is src, airsupd's record of lane 0; the forged index made none.
wait_log 'dead-letter honest from=src type=9 len=3 redeliveries=0 reason="no such actor nobody"'
[ "$(log_count 'dead-letter honest')" = 1 ] || fail "dead letters: $(grep 'dead-letter' "$LOG")"
ctl dead-letters honest | grep -Eq ' honest +src +9 +3 +1  010203  \(no such actor nobody\)$' || fail "dead-letters: $(ctl dead-letters honest)"
ctl --json dead-letters honest | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 1 and d[0]["from"] == "src" and d[0]["reason"] == "no such actor nobody", d' ||
        fail "dead-letters --json: $(ctl --json dead-letters honest)"

# The metrics.
ctl metrics --prometheus >prom.txt || fail "metrics failed"
m() { sed -n "s/^$1{process=\"honest\",group=\"honest\"} //p" prom.txt; }
[ "$(m airsup_actors)" = 3 ] || fail "airsup_actors: $(grep actor prom.txt)"
[ "$(m airsup_actor_supervisors)" = 2 ] || fail "airsup_actor_supervisors: $(grep actor prom.txt)"
[ "$(m airsup_actor_messages_total)" = 120 ] || fail "airsup_actor_messages_total"
[ "$(m airsup_actor_failures_total)" = 1 ] || fail "airsup_actor_failures_total"
[ "$(m airsup_actor_restarts_total)" = 1 ] || fail "airsup_actor_restarts_total"
[ "$(m airsup_actor_escalations_total)" = 0 ] || fail "airsup_actor_escalations_total"
[ "$(m airsup_actor_dead_letters_total)" = 1 ] || fail "airsup_actor_dead_letters_total"
[ "$(m airsup_actor_queued)" = 3 ] || fail "airsup_actor_queued"
grep -q '^# TYPE airsup_actor_messages_total counter$' prom.txt || fail "the TYPE line"
grep -q 'airsup_actors{process="plain"' prom.txt && fail "plain has actor metrics"
if command -v promtool >/dev/null; then
        promtool check metrics <prom.txt || fail "promtool: $(promtool check metrics <prom.txt 2>&1)"
fi

# A new incarnation: the old table goes with the old process.
rm -f honest.out
kill -KILL "$(group_pid honest)"
wait_until 20 grep -q '^table sent' honest.out || fail "honest did not come back"
ctl actors honest | grep -q '^honest: 3 actors' || fail "after the restart: $(ctl actors honest)"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
sanitizer_clean
exit 0
