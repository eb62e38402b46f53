# The airsupd-PID cgroups a SIGKILLed airsupd leaves are removed by the
# next airsupd to start in the same parent cgroup, whatever its
# deployment (issue 24, "Also"), when they are empty and their airsupd is
# gone; a live airsupd's, and a dead one's that still holds a process,
# are left alone.  Skips (77) where cgroup v2 is not writable, as
# test-cgroup.sh does.
. "$(dirname "$0")/lib.sh"

# An airsupd of its own deployment (state and control in $T/NAME), in the
# background; its pid in NAME_PID.
start_named() {
        mkdir -p "$T/$1"
        cat >"$1.conf" <<CONF
[airsupd]
cgroup = required
state_dir = $T/$1/state
[group:web]
command = sleep $2
CONF
        "$AIRSUPD" -c "$1.conf" --log=stderr -v --control "$T/$1/control" 2>"$1.log" &
        eval "${1}_PID=$!"
}
top_of() { sed -n 's/.* cgroup root \(\/[^ ]*\) controllers=.*/\1/p' "$1.log" | head -n 1; }

squat= squatter=
extra_cleanup() {
        [ -n "${b_PID:-}" ] && kill -TERM "$b_PID" 2>/dev/null && wait_until 20 not_running "$b_PID"
        [ -n "${a_PID:-}" ] && kill -KILL "$a_PID" 2>/dev/null
        [ -n "$squatter" ] && kill -KILL "$squatter" 2>/dev/null
        if [ -n "$squat" ] && [ -d "$squat" ]; then
                wait_until 5 eval "grep -qx 'populated 0' '$squat/cgroup.events'"
                rmdir "$squat" 2>/dev/null
        fi
        for n in a b; do
                top=$(top_of "$n" 2>/dev/null)
                [ -n "$top" ] && [ -d "$top" ] || continue
                for d in "$top"/*/; do
                        [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
                done
                wait_until 5 eval "! grep -qx 'populated 1' $top/*/cgroup.events"
                find "$top" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
                rmdir "$top" 2>/dev/null
        done
        cleanup
}
trap extra_cleanup EXIT

start_named a 7795
wait_until 10 grep -Eq 'cgroup root|cgroup = required' a.log || fail "no cgroup event from a: $(cat a.log)"
if ! wait_until 5 grep -q 'info cgroup root /' a.log; then
        wait_until 10 not_running "$a_PID"
        echo "skip: no writable cgroup v2 here: $(grep 'cgroup = required' a.log)"
        exit 77
fi
wait_until 20 grep -q 'ready root' a.log || fail "a is not ready: $(tail a.log)"
top_a=$(top_of a)
case $top_a in */airsupd-"$a_PID") ;; *) echo "skip: airsupd alone in its cgroup ($top_a): no airsupd-PID"; exit 77 ;; esac
parent=${top_a%/*}

start_named b 7796
wait_until 20 grep -q 'ready root' b.log || fail "b is not ready: $(tail b.log)"
top_b=$(top_of b)
[ "$top_b" = "$parent/airsupd-$b_PID" ] || fail "b's cgroup $top_b is not beside a's $top_a"

# A dead owner's cgroup that still holds a process stays: the pid of a
# process that was reaped, its name on a directory holding a sleep.
sh -c 'exit 0' &
dead=$!
wait "$dead"
gone "$dead" || fail "pid $dead still exists"
squat=$parent/airsupd-$dead
mkdir "$squat" || fail "cannot make $squat"
sleep 7797 &
squatter=$!
echo "$squatter" >"$squat/cgroup.procs" || fail "cannot move $squatter into $squat"

# a is SIGKILLed; its child goes through its cgroup: an empty tree is left.
kill -KILL "$a_PID"
wait "$a_PID" 2>/dev/null
old_a=$a_PID
a_PID=
echo 1 >"$top_a/root/web/cgroup.kill"
wait_until 10 grep -qx 'populated 0' "$top_a/cgroup.events" || fail "$top_a does not empty"
[ -d "$top_a/_airsupd" ] && [ -d "$top_a/root/web" ] || fail "a left no tree to clean: $(find "$top_a" -type d)"

# Any airsupd, of another deployment, cleans it at its start.
cat >c.conf <<CONF
[airsupd]
cgroup = required
state_dir = $T/cstate
[group:web]
command = sleep 7798
CONF
start_airsupd c.conf
wait_log 'ready root' 20
[ ! -d "$top_a" ] || fail "a's empty cgroup $top_a is still there"
log_has "cgroup root removed $top_a: empty, left by airsupd pid $old_a, which is gone" ||
        fail "no event about the removal of $top_a"
[ -d "$top_b" ] || fail "live b's cgroup $top_b was removed"
grep -qx "$b_PID" "$top_b/_airsupd/cgroup.procs" || fail "b is no longer in its leaf"
[ -d "$squat" ] || fail "$squat, which holds process $squatter, was removed"
log_has "removed $top_b|removed $squat" && fail "a cgroup that is not to go was reported removed"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" = 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
echo "ok"
