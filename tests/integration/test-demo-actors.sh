# The orderbook demo (examples/orderbook.c) under airsupd: 2,000 book
# actors come up and the group becomes ready (airsup_ready); an order
# from another group reaches "orderbook/book-AAA"'s handler; the demo's
# fragile shard escalates its bursts of failures to the root until the
# root gives up, the process exits AIRSUP_EXIT_GAVE_UP (70), and airsupd
# restarts the group, which becomes ready again.  CHAOS_MS 1500 makes the
# give-up come within 5 s instead of a minute; then 200 makes it come
# while the event budget is used up, and its final event still arrives.
. "$(dirname "$0")/lib.sh"

ORDERBOOK=$(dirname "$AIRSUPD")/examples/orderbook
cat >demo.conf <<CONF
[supervisor:root]
intensity = 10
period = 1m
[group:orderbook]
command = $ORDERBOOK 2000 1500
ready = notify
backoff = 0
stdout = file:$T/orderbook.out
[group:trader]
command = $ORDERBOOK trader AAA
CONF

start_airsupd demo.conf
wait_log 'ready orderbook' 30
first=$(group_pid orderbook)
[ -n "$first" ] || fail "no pid for orderbook"

# An order from the trader group, handled by the book's own handler.
wait_until 20 grep -q '^book-AAA: .* from trader ' orderbook.out ||
        fail "no order from trader reached book-AAA: $(tail -n 5 orderbook.out)"

# Every book and supervisor is in the table airsupd reads.
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
wait_until 10 eval 'ctl actors orderbook | grep -q "^orderbook: 2001 actors, 9 supervisors"' ||
        fail "airsupctl actors orderbook: $(ctl actors orderbook 2>&1 | head -n 3)"
ctl actors orderbook | grep -Eq '^ +book-AAA +actor +running' || fail "book-AAA is not listed"

# Three bursts: shard-0 escalates each time, the root restarts it twice,
# then gives up.
wait_log "exited orderbook pid=$first incarnation=1 status=70" 30
[ "$(log_count "actor-escalated orderbook pid=$first .*actor=shard-0 ")" -eq 3 ] ||
        fail "shard-0 did not escalate exactly 3 times: $(grep actor-escalated "$LOG")"
log_has "actors-gave-up orderbook pid=$first " || fail "no actors-gave-up event"
wait_until 20 eval '[ "$(group_pid orderbook)" != "$first" ]' || fail "orderbook was not restarted"
wait_log_count 'ready orderbook' 2 30
grep -q '^feed: a burst of poison for shard-0' orderbook.out || fail "no burst in the demo's output"

ctl status orderbook >status.out 2>&1
grep -Eq 'status[= ]70' status.out || fail "status does not show exit 70: $(cat status.out)"

# Bursts 200 ms apart: the root gives up within the first second, while
# the 2,000 started events have used every event the budget allows.  The
# final gave-up event is not lost to that budget, nor is the count of
# what the process held back.
sed -i 's|orderbook 2000 1500|orderbook 2000 200|' demo.conf
mark=$(log_mark)
ctl reload >/dev/null || fail "reload failed"
wait_until 30 eval 'tail -n +$mark "$LOG" | grep -q "exited orderbook .*status=70"' || fail "the fast bursts did not end the process"
fast=$(tail -n +"$mark" "$LOG" | sed -n 's/.*exited orderbook pid=\([0-9]*\) .*status=70.*/\1/p' | head -n 1)
log_has "actors-gave-up orderbook pid=$fast " || fail "the gave-up event of pid $fast was lost to the budget"
log_has "actor-events-suppressed orderbook pid=$fast .*by=process" ||
        fail "the count of events pid $fast held back was lost"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 30
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' orderbook.out "$LOG"; then
        fail "sanitizer report from the demo"
fi
exit 0
