# /tmp squatting (issue 24, hole 9).  A non-root airsupd without
# XDG_RUNTIME_DIR keeps its control socket and state under /tmp/airsup-UID.
# Another local user (the attacker) makes that directory first, 0777:
#   (b) with a list of "leftovers" in it naming a process of the victim:
#       the victim's airsupd must refuse the directory, not kill it;
#   (a) airsupd refuses it for its control socket too, and the victim's
#       airsupctl, finding the attacker's socket there, refuses to talk
#       to it (exit 4) before sending it a byte.
# The victim and the attacker are two unused uids (setpriv); the normal
# layout ($XDG_RUNTIME_DIR, the victim's own 0700 directory) still works.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || exit 77
HOSTILE_CTL=$(dirname "$HOSTILE")/hostile-ctl
VUID=$((61000 + $$ % 1000))
AUID=$((VUID + 1000))
for u in $VUID $AUID; do
        getent passwd "$u" >/dev/null && exit 77
done
SQUAT=/tmp/airsup-$VUID
rm -rf "$SQUAT"
trap 'rm -rf "$SQUAT"; cleanup' EXIT
# The default layout is what this test is about: not the runtime directory
# lib.sh gives every other test.
unset AIRSUP_RUNTIME_DIR AIRSUP_CONTROL

# Foreground only: in the background, $! would be the function's subshell.
as_victim() { setpriv --reuid="$VUID" --regid="$VUID" --clear-groups env -u XDG_RUNTIME_DIR -u AIRSUP_CONTROL "$@"; }
as_attacker() { setpriv --reuid="$AUID" --regid="$AUID" --clear-groups "$@"; }

chmod 711 "$T"
mkdir v a
chown "$VUID:$VUID" v
chown "$AUID:$AUID" a
printf '[group:w]\ncommand = sleep 1000\n' >v/v.conf
printf '[airsupd]\nstate_dir = %s/v/state\n[group:w]\ncommand = sleep 1000\n' "$T" >v/v2.conf
chmod 644 v/v.conf v/v2.conf

# The victim's process, leader of its own process group as each process
# an airsupd starts is.
setpriv --reuid="$VUID" --regid="$VUID" --clear-groups setsid sleep 1000 &
victim=$!
echo "$victim" >victim.pid
wait_until 5 eval "[ \"\$(stat -c %u /proc/$victim)\" = $VUID ] && grep -q sleep /proc/$victim/comm" ||
        fail "the victim's process did not start"

# (b) The attacker plants the state directory with a list naming it.
as_attacker "$HOSTILE_CTL" plant-state "$SQUAT" "$T/v/v.conf" "$victim" >planted ||
        fail "the attacker could not plant the state directory"
[ "$(stat -c '%u %a' "$SQUAT")" = "$AUID 777" ] || fail "the squatted directory is $(stat -c '%u %a' "$SQUAT")"
setpriv --reuid="$VUID" --regid="$VUID" --clear-groups env -u XDG_RUNTIME_DIR \
        "$AIRSUPD" -c "$T/v/v.conf" --log=stderr 2>v1.log &
AIRSUPD_PID=$!
if ! wait_until 10 not_running "$AIRSUPD_PID"; then
        alive "$victim" || fail "airsupd killed the process the attacker's list named"
        fail "airsupd runs in a directory the attacker owns: $(cat v1.log)"
fi
wait "$AIRSUPD_PID"
st=$?
AIRSUPD_PID=
alive "$victim" || fail "airsupd killed the process the attacker's list named"
[ "$st" = 1 ] || fail "airsupd exited $st in a squatted directory, not 1: $(cat v1.log)"
grep -q "^airsupd: the state directory $(cat planted): $SQUAT is owned by uid $AUID, not by root or airsupd's user (uid $VUID)" v1.log ||
        fail "airsupd does not say why: $(cat v1.log)"
grep -q "leftover" v1.log && fail "airsupd looked at the planted list: $(cat v1.log)"

# (a) With its state elsewhere, airsupd refuses the squatted directory
# for its control socket.
setpriv --reuid="$VUID" --regid="$VUID" --clear-groups env -u XDG_RUNTIME_DIR \
        "$AIRSUPD" -c "$T/v/v2.conf" --log=stderr 2>v2.log &
AIRSUPD_PID=$!
wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd put its control socket in the attacker's directory"
wait "$AIRSUPD_PID"
st=$?
AIRSUPD_PID=
[ "$st" = 1 ] || fail "airsupd exited $st, not 1: $(cat v2.log)"
grep -q "^airsupd: the control socket's directory: $SQUAT is owned by uid $AUID" v2.log ||
        fail "airsupd does not say why: $(cat v2.log)"
[ -e "$SQUAT/control" ] && fail "airsupd made its socket in the attacker's directory"

# (a) The attacker's own socket where the victim's airsupctl looks.
setpriv --reuid="$AUID" --regid="$AUID" --clear-groups \
        "$HOSTILE_CTL" fake-server "$SQUAT/control" "$T/a/record" "$T/a/fake.pid" &
echo $! >fake.pid
wait_until 10 test -s a/fake.pid || fail "the attacker's server did not listen"
as_victim timeout 20 "$AIRSUPCTL" status >ctl.out 2>ctl.err
st=$?
[ "$st" = 4 ] || fail "airsupctl talking to the attacker's socket exited $st, not 4: $(cat ctl.err)"
grep -q "^airsupctl: cannot reach airsupd on $SQUAT/control: the socket is served by uid $AUID, neither root nor you" ctl.err ||
        fail "airsupctl does not say why: $(cat ctl.err)"
as_victim timeout 20 "$AIRSUPCTL" stop w 2>/dev/null
[ ! -s a/record ] || fail "airsupctl sent the attacker's socket: $(od -c a/record | head -5)"

# The normal layout: the victim's own runtime directory.
mkdir -m 700 v/run
chown "$VUID:$VUID" v/run
setpriv --reuid="$VUID" --regid="$VUID" --clear-groups env XDG_RUNTIME_DIR="$T/v/run" \
        "$AIRSUPD" -c "$T/v/v2.conf" --log=stderr 2>"$LOG" &
AIRSUPD_PID=$!
wait_log 'ready root'
setpriv --reuid="$VUID" --regid="$VUID" --clear-groups env XDG_RUNTIME_DIR="$T/v/run" \
        "$AIRSUPCTL" status w >ok.out 2>&1 || fail "the victim's airsupctl cannot reach its own airsupd: $(cat ok.out)"
[ "$(stat -c '%u %a' v/run/airsup)" = "$VUID 700" ] || fail "the socket's directory is $(stat -c '%u %a' v/run/airsup)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
