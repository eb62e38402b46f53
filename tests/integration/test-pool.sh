# Pools: instances = N runs NAME[0]..NAME[N-1].  An instance that dies is
# restarted alone, even under one_for_all, and its restart counts toward
# the supervisor's intensity; when a sibling fails under one_for_all, the
# pool is one child: all its instances are stopped and started again.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[supervisor:root]
strategy = one_for_all
intensity = 2
period = 1m
[group:pool]
command = sleep 1000
instances = 3
backoff = 0
[group:single]
command = sleep 1000
backoff = 0
CONF

start_airsupd airsup.conf
wait_log 'ready single'
# The instances start together (in whatever order their execs complete);
# single only once all three are ready.
[ "$(trace 0 '^(started|ready) pool' | tr , '\n' | sort | paste -sd,)" = 'ready pool[0],ready pool[1],ready pool[2],started pool[0],started pool[1],started pool[2]' ] ||
        fail "start: $(trace 0 '^(started|ready) ')"
[ "$(trace 0 '^(started|ready) ' | cut -d, -f7-)" = 'started single,ready single,ready root' ] ||
        fail "start: $(trace 0 '^(started|ready) ')"
p0=$(group_pid 'pool\[0\]')
p2=$(group_pid 'pool\[2\]')
s=$(group_pid single)

# Instance 1 dies: only it comes back.
mark=$(log_mark)
kill -KILL "$(group_pid 'pool\[1\]')"
expect_trace "$mark" '^(exited|stopping|started|ready) ' 'exited pool[1],started pool[1],ready pool[1]'
alive "$p0" && alive "$p2" && alive "$s" || fail "an instance-1 crash touched others"

# single dies: one_for_all stops the pool (reverse: 2, 1, 0) and starts it again.
mark=$(log_mark)
kill -KILL "$s"
re='^(exited single|stopping .*|started .*)$'
wait_until 10 eval "[ \$(trace $mark '$re' | tr -cd , | wc -c) -ge 7 ]" ||
        fail "one_for_all restart incomplete: $(trace "$mark" "$re")"
got=$(trace "$mark" '^(exited single|stopping .*|started .*)$')
[ "$(echo "$got" | cut -d, -f1-4)" = 'exited single,stopping pool[2],stopping pool[1],stopping pool[0]' ] ||
        fail "one_for_all stop order: $got"
[ "$(echo "$got" | cut -d, -f5-7 | tr , '\n' | sort | paste -sd,)" = 'started pool[0],started pool[1],started pool[2]' ] ||
        fail "one_for_all restart: $got"
[ "$(echo "$got" | cut -d, -f8)" = 'started single' ] || fail "single not started after the pool: $got"
gone "$p0" && gone "$p2" || fail "old pool instances survived one_for_all"

# That was the second restart; a third (an instance again) exceeds intensity 2.
kill -KILL "$(group_pid 'pool\[2\]')"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 1 ] || fail "airsupd exited $AIRSUPD_STATUS, expected 1"
log_has 'gave-up root' || fail "the pool instance's restart was not counted"
