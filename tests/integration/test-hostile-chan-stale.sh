# A child that does not read its channel cannot be handed fds that are
# not its own: its replies wait in airsupd's queue holding fd numbers,
# and when the mailbox they name goes (its group removed by a reload),
# those numbers are reused by airsupd for the new groups' pidfds and
# channels.  The child must get an error for each such reply, never
# what the numbers have come to mean.
. "$(dirname "$0")/lib.sh"
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >airsup.conf <<CONF
[group:dest]
command = sleep 1000
[group:attacker]
command = $HOSTILE chan-stale dest 2000 $T/go $T/attacker.out
CONF
start_airsupd airsup.conf
wait_log 'ready root' 20
wait_until 60 grep -q '^queued sent=' attacker.out || fail "the attacker did not ask"
# It stopped before 2000 only because airsupd stopped reading its
# requests, which it does while more than 16 replies wait in its queue:
# the case under test.
sent=$(sed -n 's/^queued sent=//p' attacker.out)
[ "$sent" -lt 2000 ] || fail "airsupd took all 2000 lookups: nothing waited in its queue"

# The lookups are answered: the replies the child's socket does not
# take wait in airsupd's queue.
wait_log 'lane attacker -> dest \(index 0\)'

# dest goes; eight new groups take the numbers its mailbox held.
{
        printf '[group:attacker]\ncommand = %s chan-stale dest 2000 %s/go %s/attacker.out\n' "$HOSTILE" "$T" "$T"
        for k in 1 2 3 4 5 6 7 8; do printf '[group:new%s]\ncommand = sleep 1000\n' "$k"; done
} >airsup.conf
ctl reload >reload.out 2>&1 || fail "reload: $(cat reload.out)"
for k in 1 2 3 4 5 6 7 8; do wait_log "ready new$k"; done
log_has 'stopped dest|exited dest' || fail "dest was not removed"
touch go
wait_until 60 grep -q '^lanes=' attacker.out || fail "the attacker did not read"
got=$(cat attacker.out)
echo "the attacker read: $got"
case "$got" in
*" bad=0 sent=$sent") ;;
*) fail "the attacker was handed fds not its own: $got" ;;
esac
errors=${got#*errors=}
errors=${errors%% *}
[ "$errors" -ge 16 ] || fail "fewer errors than the replies that waited: $got"
lanes=${got#lanes=}
lanes=${lanes%% *}
[ $((lanes + errors)) -eq "$sent" ] || fail "not every lookup was answered once: $got"
kill -0 "$AIRSUPD_PID" || fail "airsupd died"
exit 0
