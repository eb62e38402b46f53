# airsupctl on the host controls an airsupd that runs as PID 1 of a PID
# namespace (a container): status, restart, events and events -f work
# from outside, and an act is recorded under the operator's uid (airsupd
# sees the host's pid as 0, sd-bus's creds lookups fail without it); a
# socket nobody serves is exit 4.
. "$(dirname "$0")/lib.sh"

if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
        echo "cannot create a PID namespace here (needs root and unshare)"
        exit 77
fi

cat >airsup.conf <<'CONF'
[group:web]
command = sleep 1000
CONF

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

unshare --pid --fork --mount-proc "$AIRSUPD" -c airsup.conf --log=stderr -v --control "$T/control" 2>"$LOG" &
AIRSUPD_PID=$!          # unshare: it exits with airsupd's status
wait_log 'ready web'
APID=$(pgrep -P "$AIRSUPD_PID")
grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$APID/status" || fail "airsupd is not PID 1 in its namespace"
me=$(id -u)

out=$(ctl status 2>&1) || fail "status from the host: exit $?: $out"
echo "$out" | grep -Eq '^web +ready ' || fail "status from the host: $out"

out=$(ctl restart web 2>&1) || fail "restart from the host: exit $?: $out"
log_has 'started web pid=[0-9]+ incarnation=2' || fail "restart answered before web ran again"
log_has "manual-restart web by=pid:0,uid:$me\$" || fail "the restart is not recorded under uid $me"

out=$(ctl events web 2>&1) || fail "events from the host: exit $?: $out"
echo "$out" | grep -q "manual-restart web by=pid:0,uid:$me\$" || fail "events from the host: $out"

# A follower from the host gets the history, then what happens.
ctl events -f web >follow.out 2>&1 &
FOLLOW=$!
wait_until 10 grep -q 'manual-restart web' follow.out || fail "events -f: no history: $(cat follow.out)"
ctl stop web || fail "stop from the host: exit $?"
wait_until 10 grep -q "manual-stop web by=pid:0,uid:$me\$" follow.out || fail "events -f: no stop: $(cat follow.out)"
kill "$FOLLOW"
wait "$FOLLOW" 2>/dev/null

# busctl from the host too, a verb that changes something included.
if command -v busctl >/dev/null; then
        busctl --address="unix:path=$T/control" call org.airsup1 /org/airsup1 org.airsup1.Manager Start s web ||
                fail "busctl Start from the host"
        wait_log 'started web pid=[0-9]+ incarnation=3'
fi

ctl shutdown || fail "shutdown from the host: exit $?"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# Nobody serves it any more: cannot reach airsupd, exit 4.
ctl status 2>err.out
st=$?
[ "$st" -eq 4 ] || fail "status of a socket nobody serves: exit $st, not 4: $(cat err.out)"
grep -q 'cannot reach airsupd' err.out || fail "no reason given: $(cat err.out)"
exit 0
