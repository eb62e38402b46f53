# airsupd as PID 1 of a new PID namespace (what `docker run` or
# `unshare --pid --fork --mount-proc` give it): it reaps an orphaned
# grandchild, survives its children's deaths by signal and restarts them,
# and turns SIGPWR (and SIGTERM) into an orderly shutdown with exit 0.
. "$(dirname "$0")/lib.sh"

if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
        echo "cannot create a PID namespace here (needs root and unshare)"
        exit 77
fi

cat >airsup.conf <<'CONF'
[group:orphaner]
command = sh -c '(setsid sleep 0.3 &); exec sleep 1000'
[group:victim]
command = sleep 1000
CONF

# host_pid NS-PID: the pid, seen from here, of the namespace's process NS-PID.
host_pid() {
        grep -l -E "^NSpid:[[:space:]]+[0-9]+[[:space:]]+$1\$" /proc/[0-9]*/status 2>/dev/null |
                while read -r f; do
                        p=${f#/proc/}
                        p=${p%/status}
                        # only processes in airsupd's namespace
                        [ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$APID/ns/pid")" ] && echo "$p"
                done | head -n 1
}

unshare --pid --fork --mount-proc "$AIRSUPD" -c airsup.conf --log=stderr -v --control "$T/control" 2>"$LOG" &
AIRSUPD_PID=$!          # unshare: it exits with airsupd's status
wait_until 10 eval '[ -n "$(pgrep -P "$AIRSUPD_PID")" ]' || fail "airsupd did not start"
APID=$(pgrep -P "$AIRSUPD_PID")
grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$APID/status" || fail "airsupd is not PID 1 in its namespace"
wait_log 'ready victim'

# The orphan (its parent is the main process of orphaner, it left the
# process group with setsid) is reparented to airsupd, and reaped.
wait_log 'reaped orphan [0-9]+'
for c in $(pgrep -P "$APID"); do
        [ "$(sed -n 's/.*) \(.\) .*/\1/p' "/proc/$c/stat")" = Z ] && fail "zombie $c under PID 1"
done

# A child killed by a signal is restarted; PID 1 is not affected.
v=$(host_pid "$(group_pid victim)")
[ -n "$v" ] || fail "no host pid for victim"
kill -KILL "$v"
wait_log 'started victim pid=[0-9]+ incarnation=2'
kill -0 "$APID" || fail "PID 1 died with its child"

kill -PWR "$APID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd as PID 1 exited $AIRSUPD_STATUS after SIGPWR"
log_has 'SIGPWR: stopping all children' || fail "SIGPWR was not an orderly shutdown"
[ "$(trace 0 '^stopped ')" = 'stopped victim,stopped orphaner' ] || fail "stop order: $(trace 0 '^stopped ')"

# SIGTERM from outside the namespace works the same.
unshare --pid --fork --mount-proc "$AIRSUPD" -c airsup.conf --log=stderr -v --control "$T/control" 2>"$LOG" &
AIRSUPD_PID=$!
wait_log 'ready victim'
kill -TERM "$(pgrep -P "$AIRSUPD_PID")"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd as PID 1 exited $AIRSUPD_STATUS after SIGTERM"
