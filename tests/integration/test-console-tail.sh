# stdout = console: airsupd keeps each instance's last lines in memory,
# and airsupctl logs shows them: across a crash and restart, with -f
# until airsupd exits; a child flooding 10 MB turns the ring over
# without airsupd growing, and only the last lines stay.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
cat >count.sh <<SH
# The first run counts to 49 and crashes; the next counts to 9 and stays.
if [ -e $T/again ]; then run=second; n=10; else run=first; n=50; fi
i=0
while [ \$i -lt \$n ]; do echo "\$run \$i"; i=\$((i + 1)); done
[ \$run = second ] && exec sleep 1000
touch $T/again
exit 1
SH
cat >flood.sh <<SH
while [ ! -e $T/go ]; do sleep 0.05; done
yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c 10485760
echo
echo flood end
exec sleep 1000
SH
cat >tail.conf <<CONF
[group:count]
command = sh $T/count.sh
stdout = console
restart = permanent
[group:tick]
command = sh -c 'i=0; while :; do echo tick \$i; i=\$((i + 1)); sleep 0.05; done'
stdout = console
[group:flood]
command = sh $T/flood.sh
stdout = console
CONF
start_airsupd tail.conf
wait_log 'ready root'

# The last lines, and the first run's still there after its crash.
wait_until 10 eval 'ctl logs -n 1 count 2>/dev/null | grep -qx "second 9"' ||
        fail "logs count: $(ctl logs count 2>&1 | tail -n 3)"
ctl logs -n 3 count >out || fail "logs -n 3 count exited $?"
[ "$(paste -sd, out)" = "second 7,second 8,second 9" ] || fail "logs -n 3 count: $(paste -sd, out)"
ctl logs -n 60 count >out || fail "logs -n 60 count exited $?"
[ "$(paste -sd, out)" = "$( (seq -f 'first %g' 0 49; seq -f 'second %g' 0 9) | paste -sd, -)" ] ||
        fail "logs -n 60 count lost the lines before the restart: $(paste -sd, out | head -c 400)"
# The no-name form has them too, after the instance's name.
ctl logs -n 1 >all.out 2>/dev/null || fail "logs with no name exited $?"
grep -qx 'count | second 9' all.out || fail "logs with no name lacks count: $(cat all.out)"

# The flood: 10 MB through airsupd, whose memory stays where it was.
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$AIRSUPD_PID/status"; }
before=$(rss)
touch go
wait_until 60 eval 'ctl logs -n 1 flood 2>/dev/null | grep -qx "flood end"' || fail "the flood did not end"
after=$(rss)
[ "$after" -lt $((before + 8192)) ] || fail "airsupd grew from $before kB to $after kB with a 10 MB flood"
ctl logs -n 100000 flood >flood.out || fail "logs flood exited $?"
size=$(wc -c <flood.out)
[ "$size" -le 65536 ] && [ "$size" -gt 32768 ] || fail "logs flood printed $size bytes, not the last 64 KiB"
[ "$(tail -n 1 flood.out)" = "flood end" ] || fail "logs flood does not end with its last line"

# -f: new lines as they come, and an end (0) when airsupd exits.
"$AIRSUPCTL" -s "$T/control" logs -f -n 1 tick >follow.out 2>follow.err &
follower=$!
echo "$follower" >follower.pid
wait_until 10 eval '[ "$(wc -l <follow.out)" -ge 5 ]' || fail "logs -f tick followed nothing: $(cat follow.err)"
sed 's/^tick //' follow.out >nums
[ "$(paste -sd, nums)" = "$(seq "$(head -n 1 nums)" "$(tail -n 1 nums)" | paste -sd, -)" ] ||
        fail "logs -f tick lost or repeated lines: $(paste -sd, nums)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
wait_until 5 not_running "$follower" || fail "logs -f still runs after airsupd exited"
wait "$follower" || fail "logs -f exited $?: $(cat follow.err)"
rm -f follower.pid
exit 0
