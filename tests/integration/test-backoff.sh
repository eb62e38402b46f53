# The restart delay doubles from backoff up to backoff_max, and each delay
# really passes between the exit and the next start.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:crasher]
command = sh -c 'exit 1'
backoff = 100ms
backoff_max = 400ms
CONF

start_airsupd airsup.conf
wait_log_count 'restarting crasher' 5 20
grep -E 'restarting crasher' "$LOG" | head -n 5 | sed 's/.*delay_ms=//' >delays
printf '100\n200\n400\n400\n400\n' >expected
cmp -s delays expected || fail "delays were $(tr '\n' ' ' <delays), expected 100 200 400 400 400"

# The gap between each exit and the next start is at least the delay.
for i in 1 2 3 4; do
        ex=$(event_time 'exited crasher' "$i")
        st=$(event_time 'started crasher' "$((i + 1))")
        d=$(sed -n "${i}p" delays)
        awk -v a="$ex" -v b="$st" -v d="$d" 'BEGIN { exit !((b - a) * 1000 >= d - 1) }' ||
                fail "restart $i came $(awk -v a="$ex" -v b="$st" 'BEGIN{print (b-a)*1000}') ms after the exit, delay was $d ms"
done

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
