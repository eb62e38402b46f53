# airsupctl's command line: an unknown signal is a usage error (2);
# options after the verb are options, not names, wherever they stand and
# whatever POSIXLY_CORRECT says; "--" ends them; event times carry the
# UTC offset as airsupd's own lines do; airsupctl(1) renders its quotes
# and names dead-letters in its SYNOPSIS.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >use.conf <<'CONF'
[group:web]
command = sleep 1000
CONF
start_airsupd use.conf
wait_log 'ready root'

ctl signal web USR9 2>err; rc=$?
[ $rc -eq 2 ] || fail "signal web USR9 exited $rc, not 2 (usage): $(cat err)"
grep -q 'USR9' err || fail "the unknown signal was not said: $(cat err)"

ctl status --json >s1.json || fail "status --json failed"
ctl status web --json >s2.json || fail "status web --json failed"
POSIXLY_CORRECT=1 ctl status web --json >s3.json || fail "status web --json under POSIXLY_CORRECT failed"
for f in s1 s2 s3; do
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert any(x["name"]=="web" for x in r), r' "$f.json" ||
                fail "$f: not JSON with web: $(cat "$f.json")"
done
ctl events web -n 1 --json | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' ||
        fail "events web -n 1 --json: $(ctl events web -n 1 --json)"
ctl metrics --json --prometheus | grep -q '^# TYPE ' || fail "metrics --json --prometheus: no Prometheus text"
ctl status -- --json 2>/dev/null; rc=$?
[ $rc -eq 3 ] || fail "status -- --json took --json as an option (exit $rc)"
ctl status web --bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "status web --bogus exited $rc, not 2"
ctl tree extra 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "tree extra exited $rc, not 2"

# events -f with its options after the name follows.
"$AIRSUPCTL" -s "$T/control" events web -f -n 1 >follow.out &
follower=$!
echo "$follower" >follower.pid
wait_until 10 test -s follow.out || fail "events web -f -n 1 printed nothing"
alive "$follower" || fail "events web -f -n 1 did not follow"
kill "$follower"

# Times as RFC 3339 with the offset, in the zone airsupctl runs in.
TZ=UTC0 ctl events -n 3 >utc.out
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00 ' utc.out ||
        fail "event times lack the offset: $(cat utc.out)"
TZ=EST5 ctl events -n 3 | grep -Eq '^[-0-9T:.]{26}-05:00 ' || fail "event times in EST5: $(TZ=EST5 ctl events -n 3)"

# The manual page.
man=$SRC/man/airsupctl.1
{ mandoc -Tutf8 -O width=200 "$man" 2>/dev/null || groff -man -Tutf8 -rLL=200n "$man" 2>/dev/null; } |
        sed 's/.\x08//g' >man.txt
[ -s man.txt ] || fail "cannot render airsupctl(1)"
grep -q "’’" man.txt && fail "airsupctl(1) renders doubled quotes: $(grep -n "’’" man.txt)"
tr '\n' ' ' <man.txt | tr -s ' ' | grep -q "(‘30s’, ‘5m’, ‘2h’, ‘1d’)" ||
        fail "airsupctl(1): the durations: $(grep -n 30s man.txt)"
sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' man.txt | grep -q 'dead-letters' ||
        fail "airsupctl(1) lacks dead-letters in its SYNOPSIS"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
