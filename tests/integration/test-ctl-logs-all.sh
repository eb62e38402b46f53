# airsupctl logs with no name: the last lines of every group whose output
# airsupd keeps in a file or (console) in memory, each after its
# instance's name; -f follows them all, across a rotation, and ends when
# airsupd exits.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >counter.sh <<'SH'
i=0
while :; do echo n $i; i=$((i + 1)); sleep 0.02; done
SH
cat >logs.conf <<CONF
[group:fast]
command = sh $T/counter.sh
stdout = log:$T/fast.log
log_max = 4096
log_keep = 2
[group:pair]
command = sh $T/counter.sh
instances = 2
stdout = log:$T/pair.%i.log
[group:shout]
command = sh -c 'echo console 1; echo console 2; exec sleep 1000'
stdout = console
CONF
start_airsupd logs.conf
wait_log 'ready root'
wait_until 10 eval 'ctl logs shout 2>/dev/null | grep -q "console 2"' || fail "shout said nothing"
written() { for f in fast.log pair.0.log pair.1.log; do [ "$(wc -l <"$f")" -ge 2 ] || return 1; done 2>/dev/null; }
wait_until 10 written || fail "the logs were not written"

# Without -f: the last lines of each, after its instance's name.
ctl logs -n 2 >tail.out 2>tail.err || fail "logs exited $?: $(cat tail.err)"
for p in 'fast' 'pair\[0\]' 'pair\[1\]'; do
        [ "$(grep -c "^$p | [^ ]* n [0-9]*$" tail.out)" -eq 2 ] || fail "logs -n 2: not two lines of $p: $(cat tail.out)"
done
# shout's console lines, which airsupd keeps, after its name.
grep -q '^shout | console [0-9]*$' tail.out || fail "logs lacks shout's console lines: $(cat tail.out)"

# -f: lines of all three, the fast one's across its rotations.
"$AIRSUPCTL" -s "$T/control" logs -f -n 0 >follow.out 2>follow.err &
follower=$!
echo "$follower" >follower.pid
wait_until 10 eval 'grep -q "^pair\[0\] | " follow.out && grep -q "^pair\[1\] | " follow.out &&
        grep -q "^fast | " follow.out' || fail "logs -f did not show every group: $(head -n 5 follow.out)"
ino=$(stat -c %i fast.log)
wait_until 20 eval '[ "$(stat -c %i fast.log)" != "$ino" ]' || fail "fast.log was not rotated"
wait_until 10 eval '[ -n "$(tail -n 1 fast.log)" ]' || fail "nothing in fast.log after its rotation"
k=$(tail -n 1 fast.log | sed 's/.* n //')
wait_until 10 grep -q "^fast | .* n $k\$" follow.out || fail "logs -f stopped at a rotation: $(tail -n 3 follow.out)"
# Not a line lost nor repeated, each instance's in order.
for p in 'fast' 'pair\[0\]' 'pair\[1\]'; do
        grep "^$p | " follow.out | sed 's/.* n //' >nums
        first=$(head -n 1 nums)
        last=$(tail -n 1 nums)
        [ "$(paste -sd, nums)" = "$(seq "$first" "$last" | paste -sd, -)" ] ||
                fail "logs -f lost or repeated lines of $p: $(paste -sd, nums | head -c 400)"
done

# It ends, with 0, when airsupd exits; so does logs -f NAME.
"$AIRSUPCTL" -s "$T/control" logs -f -n 0 pair >one.out 2>/dev/null &
one=$!
echo "$one" >one.pid
wait_until 10 grep -q ' n [0-9]*$' one.out || fail "logs -f pair followed nothing"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
wait_until 5 not_running "$follower" || fail "logs -f still runs after airsupd exited"
wait "$follower"
status=$?
[ "$status" -eq 0 ] || fail "logs -f exited $status: $(cat follow.err)"
wait_until 5 not_running "$one" || fail "logs -f pair still runs after airsupd exited"
wait "$one" || fail "logs -f pair exited $?"
rm -f follower.pid one.pid
exit 0
