# airsupctl --version; start, stop, restart all (each of root's children:
# in the tree's order, stop in reverse); status exits 3 when something it
# shows is failed or down, 0 when all runs; bash completion names the
# groups for every verb that takes a name, and the verbs' options.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

want=$(sed -n 's/^VERSION *= *//p' "$SRC/Makefile" | head -n 1)
[ "$("$AIRSUPCTL" --version)" = "airsupctl $want" ] || fail "--version: $("$AIRSUPCTL" --version), not $want"

cat >all.conf <<'CONF'
[supervisor:root]
intensity = 100
[group:first]
command = sleep 1000
[supervisor:mid]
[group:inner]
parent = mid
command = sleep 1000
instances = 2
[group:last]
command = sleep 1000
CONF
start_airsupd all.conf
wait_log 'ready root'
ctl status >/dev/null || fail "status exits $? with everything up"
ctl --json status >/dev/null || fail "status --json exits $? with everything up"

# restart all: every child of root, in the tree's order, new pids.
before="$(group_pid first) $(group_pid 'inner\[0\]') $(group_pid last)"
mark=$(log_mark)
ctl restart all || fail "restart all failed"
after="$(group_pid first) $(group_pid 'inner\[0\]') $(group_pid last)"
for p in $before; do
        case " $after " in *" $p "*) fail "restart all left pid $p: before $before, after $after" ;; esac
done
tail -n +"$((mark + 1))" "$LOG" | sed -n 's/.* started \([a-z]*\).*/\1/p' | uniq | tr '\n' ' ' >order
[ "$(cat order)" = "first inner last " ] || fail "restart all started in the order $(cat order)"

# stop all: everything held down, in reverse; status says so with 3.
mark=$(log_mark)
ctl --json stop all >stop.json || fail "stop all failed"
python3 -c 'import json,sys; a=json.load(open("stop.json")); assert [o["name"] for o in a] == ["last","mid","first"], a' ||
        fail "stop all --json: $(cat stop.json)"
for n in first 'inner\[0\]' 'inner\[1\]' last; do
        ctl status | grep -Eq "^$n +stopped(,held)? " || fail "stop all left $n: $(ctl status)"
done
ctl status >/dev/null; rc=$?
[ $rc -eq 3 ] || fail "status with stopped groups exited $rc, not 3"
ctl --json status >/dev/null; rc=$?
[ $rc -eq 3 ] || fail "status --json with stopped groups exited $rc, not 3"
ctl status nosuch 2>/dev/null; rc=$?
[ $rc -eq 3 ] || fail "status nosuch exited $rc, not 3"
ctl start all || fail "start all failed"
ctl status >/dev/null || fail "status exits $? after start all"
ctl stop last
ctl status first >/dev/null || fail "status first exits $? while only last is down"
ctl status last >/dev/null; rc=$?
[ $rc -eq 3 ] || fail "status last (stopped) exited $rc, not 3"
ctl start last

# Completion: names for each verb taking one, options after the verb.
complete() {
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMPREPLY=()
        _airsupctl
        echo "${COMPREPLY[*]}"
}
PATH=$(dirname "$AIRSUPCTL"):$PATH
. "$SRC/ctl/airsupctl.bash"
for verb in status start stop restart signal events logs dead-letters actors; do
        got=$(complete airsupctl -s "$T/control" "$verb" "")
        for n in first mid inner 'inner[0]' last; do
                case " $got " in *" $n "*) ;; *) fail "completion of $verb lacks $n: $got" ;; esac
        done
done
case " $(complete airsupctl -s "$T/control" restart a) " in *" all "*) ;; *) fail "completion of restart lacks all" ;; esac
got=$(complete airsupctl -s "$T/control" events --)
for o in --follow --lines --since --severity --json; do
        case " $got " in *" $o "*) ;; *) fail "completion of events options lacks $o: $got" ;; esac
done
case " $(complete airsupctl -s "$T/control" logs -) " in *" -f "*) ;; *) fail "completion of logs options lacks -f" ;; esac
case " $(complete airsupctl -s "$T/control" status --) " in *" --json "*) ;; *) fail "completion of status lacks --json" ;; esac
[ -z "$(complete airsupctl -s "$T/nowhere" status "")" ] || fail "completion without airsupd is not quiet"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
