# Children are forked by airsupd-spawner, a small helper, yet are
# airsupd's own: their parent is airsupd, they hold only stdio, and a
# spawner that dies (or a plan too big for it) never stops a start.  The
# spawner clones them sharing its memory until their exec, each in an
# arena it uses again only once its child left it: a pool of more
# children than it has arenas, started at once, each gets its own argv
# and environment.
. "$(dirname "$0")/lib.sh"

cat >child.sh <<'CHILD'
#!/bin/sh
echo "$PPID" >"ppid.$AIRSUP_INCARNATION"
exec sleep 1000
CHILD
chmod +x child.sh
printf '[group:a]\ncommand = %s/child.sh\nworkdir = %s\nbackoff = 0\n' "$T" "$T" >spawner.conf

spawner_of() {
        local p
        for p in $(pgrep -P "$1"); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = airsupd-spawner ] && echo "$p"
        done
}

start_airsupd spawner.conf
wait_log 'ready root'
wait_until 10 test -s ppid.1 || fail "the child did not write its parent"
[ "$(cat ppid.1)" = "$AIRSUPD_PID" ] || fail "the child's parent is $(cat ppid.1), not airsupd ($AIRSUPD_PID)"
fds=$(ls "/proc/$(group_pid a)/fd" | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 3 " ] || fail "the child holds more than stdio and its channel: $fds"
readlink "/proc/$(group_pid a)/fd/3" | grep -q '^socket:' || fail "fd 3 of the child is not its channel"
sp=$(spawner_of "$AIRSUPD_PID")
[ -n "$sp" ] || fail "no airsupd-spawner below airsupd"
n=$(ls "/proc/$sp/fd" | wc -l)
[ "$n" -le 6 ] || fail "the spawner holds $n fds"
# It is the small program beside airsupd, which maps none of airsupd's
# libraries (issue 30: 1 MB resident, not 5).
case $(readlink "/proc/$sp/exe") in
*/airsupd-spawner) ;;
*) fail "the spawner runs $(readlink "/proc/$sp/exe"), not airsupd-spawner" ;;
esac
! grep -q libsystemd "/proc/$sp/maps" || fail "the spawner maps libsystemd"

# The spawner killed: the next start forks through a new one.
kill -KILL "$sp"
kill -KILL "$(group_pid a)"
wait_log 'started a .*incarnation=2'
wait_until 10 test -s ppid.2 || fail "the restarted child did not write its parent"
[ "$(cat ppid.2)" = "$AIRSUPD_PID" ] || fail "after the spawner died, the child's parent is $(cat ppid.2)"
sp2=$(spawner_of "$AIRSUPD_PID")
[ -n "$sp2" ] && [ "$sp2" != "$sp" ] || fail "no new spawner after the first was killed"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
wait_gone "$sp2" 5

# A plan bigger than one message (here airsupd's own environment) is
# forked by airsupd itself.
rm -f ppid.*
big=$(head -c 60000 /dev/zero | tr '\0' x)
BIG1=$big BIG2=$big BIG3=$big start_airsupd spawner.conf
wait_log 'ready root'
wait_until 10 test -s ppid.1 || fail "with a big environment the child did not start"
[ "$(cat ppid.1)" = "$AIRSUPD_PID" ] || fail "with a big environment the child's parent is $(cat ppid.1)"
log_has 'plan too big for the spawner, forked by airsupd itself' || fail "no word of the fallback"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd (big environment) exited $AIRSUPD_STATUS"

# airsupd without airsupd-spawner beside it execs itself as the spawner.
mkdir alone
cp "$AIRSUPD" alone/airsupd
rm -f ppid.*
AIRSUPD_SAVED=$AIRSUPD
AIRSUPD=$T/alone/airsupd
start_airsupd spawner.conf
AIRSUPD=$AIRSUPD_SAVED
wait_log 'ready root'
wait_until 10 test -s ppid.1 || fail "without airsupd-spawner the child did not start"
[ "$(cat ppid.1)" = "$AIRSUPD_PID" ] || fail "without airsupd-spawner the child's parent is $(cat ppid.1)"
sp=$(spawner_of "$AIRSUPD_PID")
[ -n "$sp" ] || fail "without airsupd-spawner, no spawner below airsupd"
[ "$(readlink "/proc/$sp/exe")" = "$T/alone/airsupd" ] || fail "the fallback spawner runs $(readlink "/proc/$sp/exe")"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd (no airsupd-spawner) exited $AIRSUPD_STATUS"

# 40 instances started back to back, more than the spawner's 16 arenas:
# each child's argv (%i) and environment (AIRSUP_INSTANCE) are its own.
rm -f inst.*
printf '[group:p]\ncommand = sh -c '"'"'echo "%%i $AIRSUP_INSTANCE" >inst.%%i; exec sleep 1000'"'"'\nworkdir = %s\ninstances = 40\n' "$T" >pool.conf
start_airsupd pool.conf
wait_log 'ready root'
wait_until 20 eval '[ "$(ls inst.* 2>/dev/null | wc -l)" -eq 40 ]' || fail "only $(ls inst.* 2>/dev/null | wc -l) of 40 instances wrote"
for i in $(seq 0 39); do
        [ "$(cat "inst.$i")" = "$i $i" ] || fail "instance $i wrote '$(cat "inst.$i")'"
done
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd (pool) exited $AIRSUPD_STATUS"

# airsupd SIGKILLed: the spawner does not outlive it.
start_airsupd spawner.conf
wait_log 'ready root'
sp=$(spawner_of "$AIRSUPD_PID")
[ -n "$sp" ] || fail "no spawner in the second run"
kill -KILL "$AIRSUPD_PID"
wait_gone "$sp" 5
kill -KILL "$(group_pid a)" 2>/dev/null
AIRSUPD_PID=
exit 0
