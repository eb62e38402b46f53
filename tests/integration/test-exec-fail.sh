# A command that cannot run is a failed start with the errno in the event,
# restarted with backoff until intensity gives up: never a silent loop.
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\nexit 0\n' >not-executable
chmod 644 not-executable
cat >airsup.conf <<CONF
[supervisor:root]
intensity = 2
[group:missing]
command = /nonexistent/program --flag
backoff = 10ms
[group:noexec]
command = $T/not-executable
backoff = 10ms
CONF

start_airsupd airsup.conf
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
log_has 'start-failed missing .*error=ENOENT' || fail "no ENOENT start failure for missing"
log_has 'gave-up root' || fail "root did not give up"

# A failure after the fork (here chdir) is reported with its step.
cat >airsup2.conf <<CONF
[supervisor:root]
intensity = 1
[group:nodir]
command = /bin/true
workdir = /nonexistent/dir
backoff = 1m
[group:noperm]
command = $T/not-executable
backoff = 1m
CONF
start_airsupd airsup2.conf
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
log_has 'start-failed nodir .*error=ENOENT step=chdir' || fail "no chdir failure for nodir"
log_has 'start-failed noperm .*error=EACCES' || fail "no EACCES for noperm"
