# A command that cannot run is a failed start with the errno in the event,
# restarted with backoff until intensity gives up: never a silent loop.  A
# child that never starts is never ready, so its later siblings never start.
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\nexit 0\n' >not-executable
chmod 644 not-executable

# run_failing NAME CONF-LINES...: a root (intensity 2) whose first child
# cannot start and whose second child must therefore never start.
run_failing() {
        local name=$1
        shift
        {
                printf '[supervisor:root]\nintensity = 2\n[group:%s]\nbackoff = 10ms\n' "$name"
                printf '%s\n' "$@"
                printf '[group:after]\ncommand = sleep 1000\n'
        } >"$name.conf"
        start_airsupd "$name.conf"
        wait_airsupd_exit 20
        [ "$AIRSUPD_STATUS" -eq 1 ] || fail "$name: airsupd exited $AIRSUPD_STATUS, expected 1"
        log_has 'gave-up root' || fail "$name: root did not give up"
        [ "$(log_count "start-failed $name ")" -eq 3 ] || fail "$name: expected 3 failed starts"
        log_has 'started after' && fail "$name: its sibling started though it never was ready"
        return 0
}

run_failing missing 'command = /nonexistent/program --flag'
log_has 'start-failed missing .*error=ENOENT step=exec' || fail "no ENOENT exec failure for missing"

run_failing noperm "command = $T/not-executable"
log_has 'start-failed noperm .*error=EACCES' || fail "no EACCES for noperm"

# A failure after the fork (here chdir) is reported with its step.
run_failing nodir 'command = /bin/true' 'workdir = /nonexistent/dir'
log_has 'start-failed nodir .*error=ENOENT step=chdir' || fail "no chdir failure for nodir"
