# control_group (issue 24, hole 13): members of the group may control
# airsupd, everyone else may not, and airsupd's own credential check is
# what decides (sd-bus used to refuse members every method, and the
# socket's directory, made 0700 root:root by the state directory first,
# kept them out anyway).  A member and a non-member, each for a read verb
# (status) and changing ones (stop, start, restart); a user and a group
# made for the test and removed at its end.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v groupadd >/dev/null &&
        command -v setpriv >/dev/null || exit 77
G=airsupg$$
MEMBER=airsupm$$
OTHER=airsupn$$
groupadd "$G" || exit 77
trap 'userdel "$MEMBER" 2>/dev/null; userdel "$OTHER" 2>/dev/null; groupdel "$G" 2>/dev/null; cleanup' EXIT
useradd -M -N -s /usr/sbin/nologin -G "$G" "$MEMBER" || fail "useradd $MEMBER"
useradd -M -N -s /usr/sbin/nologin "$OTHER" || fail "useradd $OTHER"
as() {
        local u=$1
        shift
        setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$AIRSUPCTL" -s "$T/run/control" "$@"
}

chmod 711 "$T"
# The state directory is made first, in the socket's directory.
cat >g.conf <<CONF
[airsupd]
control_group = $G
state_dir = $T/run/state
[group:a]
command = sleep 1000
CONF
start_airsupd g.conf --control "$T/run/control"
wait_log 'ready root'
[ "$(stat -c '%U %G %a' run)" = "root $G 750" ] || fail "the socket's directory is $(stat -c '%U %G %a' run), not root $G 750"
[ "$(stat -c '%U %G %a' run/control)" = "root $G 660" ] || fail "the socket is $(stat -c '%U %G %a' run/control)"
[ "$(stat -c '%a' run/state)" = 700 ] || fail "the state directory is $(stat -c '%a' run/state)"

# A member: a read verb and the changing ones.
as "$MEMBER" status a >st.out 2>st.err || fail "a member cannot read the status: $(cat st.err)"
grep -q '^a  *ready' st.out || fail "a member's status: $(cat st.out)"
as "$MEMBER" stop a 2>err || fail "a member cannot stop a group: $(cat err)"
wait_log "manual-stop a by=pid:[0-9]+,uid:$(id -u "$MEMBER")"
as "$MEMBER" start a 2>err || fail "a member cannot start a group: $(cat err)"
wait_log 'manual-start a'
as "$MEMBER" restart a 2>err || fail "a member cannot restart a group: $(cat err)"
wait_log 'manual-restart a'

# A non-member cannot even reach the socket (its directory is 0750).
as "$OTHER" status a >/dev/null 2>err
st=$?
[ "$st" = 4 ] || fail "a non-member's status exited $st, not 4: $(cat err)"
grep -q 'permission denied' err || fail "a non-member's refusal says: $(cat err)"
# Nor control airsupd when the socket is open to all: airsupd's own check
# refuses it, for reading and for changing.
chmod 755 run
chmod 666 run/control
as "$OTHER" status a >/dev/null 2>err
st=$?
[ "$st" = 4 ] || fail "a non-member's status exited $st, not 4: $(cat err)"
grep -q 'access denied by airsupd' err || fail "a non-member's refusal says: $(cat err)"
mark=$(log_mark)
as "$OTHER" stop a 2>err
st=$?
[ "$st" = 4 ] || fail "a non-member's stop exited $st, not 4: $(cat err)"
grep -q 'access denied by airsupd' err || fail "a non-member's refusal says: $(cat err)"
wait_log "control-refused control pid=[0-9]+ uid=$(id -u "$OTHER")"
tail -n +"$((mark + 1))" "$LOG" | grep -q 'manual-stop' && fail "a non-member stopped a group"
"$AIRSUPCTL" -s "$T/run/control" status a | grep -q '^a  *ready' || fail "a is not running after the refused stop"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
