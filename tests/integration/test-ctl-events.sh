# airsupctl events: the history (filtered by node and severity), then with
# -f the live stream, in order; an operator's verbs are events too; a
# follower that stops reading while events pour in is dropped, and
# airsupd keeps serving everyone else.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >ev.conf <<'CONF'
[supervisor:root]
intensity = 100000
period = 1s
[group:steady]
command = sleep 1000
[group:victim]
command = sleep 1000
backoff = 0
CONF
start_airsupd ev.conf
wait_log 'ready root'

ctl events -n 100 >hist.out || fail "events failed"
grep -Eq ' info +ready steady pid=' hist.out || fail "the history lacks 'ready steady': $(cat hist.out)"
ctl events -n 100 victim >victim.out
grep -q 'steady' victim.out && fail "events victim shows another node's events"
grep -q 'started victim' victim.out || fail "events victim lacks its own"
ctl events --severity warning -n 100 >warn.out
[ ! -s warn.out ] || fail "severity warning shows info events: $(cat warn.out)"
ctl events --since 1h -n 100 | grep -q 'ready root' || fail "--since 1h lost the start"
ctl events --since @9999999999 -n 100 | grep -q . && fail "--since the future shows events"
ctl events nosuch 2>/dev/null; [ $? -eq 3 ] || fail "events of no such node is not 3"

# -f: a crash and its restart, in order, as JSON lines.
# With -n 1 the last event of the history comes first: once it is there,
# the follower has subscribed (it subscribes before it asks for history).
"$AIRSUPCTL" -s "$T/control" --json events -f -n 1 >live.json &
follower=$!
wait_until 10 test -s live.json || fail "the follower printed nothing"
old=$(group_pid victim)
kill -KILL "$old"
wait_until 10 eval 'grep -q "\"kind\":\"started\",\"node\":\"victim\"" live.json' || fail "-f did not see the restart: $(cat live.json)"
ctl stop steady
wait_until 10 eval 'grep -q "\"kind\":\"manual-stop\"" live.json' || fail "-f did not see the manual stop"
kill "$follower"
python3 - <<'PY' || fail "the stream is out of order or malformed: $(cat live.json)"
import json
ev = [json.loads(l) for l in open("live.json")]
kinds = [(e["kind"], e["node"]) for e in ev]
i = kinds.index(("exited", "victim"))
assert kinds[i + 1] == ("restarting", "victim") and ("started", "victim") in kinds[i + 2:], kinds
assert [e["seq"] for e in ev] == sorted(e["seq"] for e in ev), "seq not increasing"
stop = [e for e in ev if e["kind"] == "manual-stop"][0]
assert stop["node"] == "steady" and "by=pid:" in stop["text"], stop
PY

# A follower that never reads, while a crash loop pours out events.
"$HOSTILE" stall-follower "$T/control" stall.pid &
wait_until 10 test -s stall.pid || fail "the stalled follower did not subscribe"
for i in $(seq 1 400); do
        p=$(group_pid victim)
        kill -KILL "$p" 2>/dev/null
        [ $((i % 50)) -eq 0 ] && log_has 'stopped reading its events' && break
        wait_until 5 eval '[ "$(group_pid victim)" != "$p" ]' || break   # restarted: the next crash
done
wait_log 'a follower \(pid [0-9]+\) stopped reading its events \([0-9]+ unread\): disconnected' 20
ctl status steady >/dev/null; [ $? -eq 3 ] || fail "airsupd stopped serving after a stalled follower (steady, stopped: 3)"
kill "$(cat stall.pid)" 2>/dev/null
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status")
[ "$rss" -lt 65536 ] || fail "airsupd's RSS is $rss kB"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
