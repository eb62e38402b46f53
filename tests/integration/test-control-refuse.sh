# A second airsupd pointed at a running one's control socket is refused
# and leaves nothing behind: the running one does not take its probe for
# a client it could not serve, and no lock or state directory of the
# second one stays.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

printf '[group:a]\ncommand = sleep 1000\n' >one.conf
start_airsupd one.conf
wait_log 'ready root'

# The second one, with its default state directory (under this test's
# AIRSUP_RUNTIME_DIR, lib.sh), named after its file, and with one of its own.
mkdir -p -m 700 "$AIRSUP_RUNTIME_DIR"
name=two${T##*.}
printf '[group:z]\ncommand = sleep 1000\n' >"$name.conf"
"$AIRSUPD" -c "$name.conf" --log=stderr --control "$T/control" 2>two.err
[ $? -eq 1 ] || fail "a second airsupd on a live socket did not exit 1"
grep -q "another airsupd answers on $T/control" two.err || fail "the second airsupd says: $(cat two.err)"
for d in "$AIRSUP_RUNTIME_DIR/$name"-*; do
        [ -e "$d" ] && fail "the second airsupd left $d: $(ls -A "$d"; rm -rf "$d")"
done
printf '[airsupd]\nstate_dir = %s/state2\n[group:z]\ncommand = sleep 1000\n' "$T" >three.conf
"$AIRSUPD" -c three.conf --log=stderr --control "$T/control" 2>three.err
[ $? -eq 1 ] || fail "a second airsupd with a state_dir did not exit 1"
[ ! -e state2/lock ] || fail "the second airsupd left state2/lock"
# Served after the probes: anything they made the first one log is there.
ctl status a >/dev/null || fail "the first airsupd lost its socket"
log_has 'warning .*control' && fail "the probe of a second airsupd looked like a failed client"

# One refused client, one event: test-ctl.sh.
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
