# A reload of 1000 groups (100 supervisors of 10) with one command
# changed: exactly that group restarts, every other process keeps its pid.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" --timeout=60 "$@"; }

conf() {
        python3 - "$1" <<'PY'
import sys
changed = int(sys.argv[1])
out = ["[airsupd]", "cgroup = off"]
for s in range(100):
    out.append("[supervisor:s%02d]" % s)
    for g in range(s * 10, s * 10 + 10):
        arg = "9401" if g == changed else "9400"
        out += ["[group:g%03d]" % g, "parent = s%02d" % s, "command = sleep %s" % arg]
print("\n".join(out))
PY
}

pids() {
        ctl --json status | python3 -c '
import json, sys
print("\n".join("%s %s" % (r["name"], r["pid"]) for r in json.load(sys.stdin) if r["kind"] == "process"))'
}

conf -1 >many.conf
start_airsupd many.conf
wait_log 'ready root' 60
wait_until 10 test -S control || fail "no control socket"
pids >before
[ "$(awk '$2 > 0' before | wc -l)" = 1000 ] || fail "not 1000 running: $(wc -l <before)"

conf 517 >many.conf
mark=$(log_mark)
ctl reload >out || fail "reload failed: $(cat out)"
grep -Eq '^restart +g517 +command$' out || fail "the plan: $(cat out)"
grep -q '^reloaded: 0 added, 0 removed, 1 restarted, 0 moved, 0 changed in place, 1099 kept' out ||
        fail "the summary: $(tail -n 1 out)"
pids >after
diff before after >d
[ "$(grep -c '^<' d)" = 1 ] && grep -q '^< g517 ' d && grep -q '^> g517 [1-9]' d ||
        fail "not exactly g517 restarted: $(cat d)"
[ "$(tail -n +"$((mark + 1))" "$LOG" | grep -c ' stopping ')" = 1 ] || fail "more than one stop"
pgrep -fx 'sleep 9401' >/dev/null || fail "g517 does not run its new command"
# Stopped in order, not killed: with cgroup = off nothing else would end
# the 1000 processes.
ctl shutdown >/dev/null
wait_airsupd_exit 60
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
pgrep -f '^sleep 940[01]$' >/dev/null && fail "processes left after the shutdown"
echo "ok"
