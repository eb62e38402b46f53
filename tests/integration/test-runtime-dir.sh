# A test's airsupd keeps away from one the machine runs (issue 26): lib.sh
# gives each test a runtime directory of its own, where airsupd puts its
# default state directory and control socket (AIRSUP_RUNTIME_DIR), and no
# test names the machine's default directory.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

[ "${AIRSUP_RUNTIME_DIR:-}" = "$T/run" ] || fail "lib.sh sets no runtime directory of the test's own"
[ "${AIRSUP_CONTROL:-}" = "$T/run/control" ] || fail "lib.sh does not point airsupctl at it"

# No --control, no control =, no state_dir =: everything in $T/run.
printf '[group:a]\ncommand = sleep 1000\n' >rt.conf
: >"$LOG"
"$AIRSUPD" -c rt.conf --log=stderr -v 2>>"$LOG" &
AIRSUPD_PID=$!
wait_log 'ready root'
[ -S "$T/run/control" ] || fail "no control socket at \$AIRSUP_RUNTIME_DIR/control: $(ls -la "$T/run" 2>&1)"
state=$(ls -d "$T"/run/rt-* 2>/dev/null)
[ -n "$state" ] && [ "$(cat "$state/lock")" = "$AIRSUPD_PID" ] || fail "no state directory with airsupd's lock in $T/run"
[ ! -e "/run/airsup/$(basename "$state")" ] || fail "airsupd made /run/airsup/$(basename "$state") too"
"$AIRSUPCTL" status a >status.out 2>&1 || fail "airsupctl without -s does not reach the test's airsupd: $(cat status.out)"
grep -Eq '^a +ready ' status.out || fail "status: $(cat status.out)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ ! -e "$state" ] || fail "a clean exit left the state directory $state"

# A relative directory is a usage error, never a directory under the cwd.
AIRSUP_RUNTIME_DIR=run "$AIRSUPD" -c rt.conf --log=stderr 2>rel.err
rc=$?
[ "$rc" = 2 ] || fail "a relative AIRSUP_RUNTIME_DIR: exit $rc, not 2: $(cat rel.err)"
grep -q 'AIRSUP_RUNTIME_DIR=run: not an absolute path' rel.err || fail "says: $(cat rel.err)"

# No test names the machine's default runtime directory outside a comment.
grep -nE "(^|[ '\"=])/run/airsup(/|\$|[ '\"])" "$SRC"/tests/integration/*.sh | grep -vE '^[^:]+:[0-9]+:[[:space:]]*#|/test-runtime-dir.sh:' >named.txt &&
        fail "tests that use the machine's /run/airsup: $(cat named.txt)"
exit 0
