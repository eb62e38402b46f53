# What --check finds wrong refuses the start and a reload (a missing
# command would fail, restart and take its supervisors and then the whole
# tree down); a command removed after the start fails with the path it
# could not exec in the start-failed event.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

printf '#!/bin/sh\nexec sleep 1000\n' >prog
chmod 755 prog

# A missing command in one group: exit 78 with FILE:LINE, nothing started.
cat >missing.conf <<CONF
[supervisor:root]
[group:fine]
command = sleep 1000
[group:broken]
command = $T/nothing-here --flag
CONF
start_airsupd missing.conf
wait_airsupd_exit 10
[ "$AIRSUPD_STATUS" -eq 78 ] || fail "a missing command: exit $AIRSUPD_STATUS, not 78"
log_has "missing.conf:5: command: '$T/nothing-here' does not exist" || fail "no FILE:LINE error for the command"
log_has ' info started ' && fail "a group started though the file has an error"

# A reload to a file with a missing command is refused and changes nothing.
cat >ok.conf <<CONF
[supervisor:root]
intensity = 2
[group:a]
command = $T/prog
backoff = 10ms
CONF
start_airsupd ok.conf
wait_log 'started a '
pid=$(group_pid a)
cp ok.conf ok.conf.orig
printf '[group:b]\ncommand = no-such-program-here\n' >>ok.conf
ctl reload >out 2>err && fail "a file with a missing command reloaded"
grep -q "ok.conf:7: command: 'no-such-program-here' is not an executable in PATH" err ||
        fail "reload does not name FILE:LINE: $(cat err)"
wait_log 'reload-failed root'
log_has 'started b ' && fail "the refused reload started b"
[ "$(group_pid a)" = "$pid" ] && alive "$pid" || fail "the refused reload touched a"
ctl status b >/dev/null 2>&1 && fail "b exists after a refused reload"

# The binary goes after the start: the failed starts name its path.
cp ok.conf.orig ok.conf
rm prog
kill "$pid"
wait_log "start-failed a .*error=ENOENT step=exec path=$T/prog"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "root did not give up: exit $AIRSUPD_STATUS"
exit 0
