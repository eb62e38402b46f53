# A command that cannot run is a failed start with the errno in the event,
# restarted with backoff until intensity gives up: never a silent loop.  A
# child that never starts is never ready, so its later siblings never start.
. "$(dirname "$0")/lib.sh"

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

# A command missing or not executable at the start refuses the start
# (--check's errors, test-start-verify.sh); one that goes later fails each
# start with its errno and path.
printf '#!/bin/sh\nexec sleep 1000\n' >prog
chmod 755 prog
printf '[supervisor:root]\nintensity = 2\n[group:noperm]\nbackoff = 10ms\ncommand = %s/prog\n' "$T" >later.conf
start_airsupd later.conf
wait_log 'started noperm '
chmod 644 prog
kill "$(group_pid noperm)"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "noperm: airsupd exited $AIRSUPD_STATUS, expected 1"
log_has "start-failed noperm .*error=EACCES step=exec path=$T/prog" || fail "no EACCES with the path for noperm"

# A failure after the fork (here chdir) is reported with its step.
run_failing nodir 'command = /bin/true' 'workdir = /nonexistent/dir'
log_has 'start-failed nodir .*error=ENOENT step=chdir' || fail "no chdir failure for nodir"
