# Clients of the control socket that call and never read cannot grow
# airsupd (issue 24, hole 2): what they leave unread is bounded in bytes,
# per client (1 MiB behind the reply it reads) and for all clients
# together (16 MiB), not only in replies.  The attackers: 50 clients,
# each asking 30 times for the whole event history (about 136 kB a
# reply) and reading nothing (200 MB if every reply were kept), then 200
# clients asking 7 times each (190 MB).  airsupd stays under 64 MB
# (128 MB under ASan) and serves everyone else, whole histories too.
. "$(dirname "$0")/lib.sh"

HOSTILE_CTL=$(dirname "$HOSTILE")/hostile-ctl
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

# A full history: 500 instances make 1000 events (started, ready) and more.
printf '[group:a]\ncommand = sleep 1000\ninstances = 500\n' >u.conf
# ASan keeps freed memory in quarantine (256 MB by default): RSS would
# measure the sanitizer, not airsupd.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
start_airsupd u.conf
wait_log 'ready root' 60
ctl events -n 1000 >hist.out || fail "events failed"
[ "$(wc -l <hist.out)" -ge 1000 ] || fail "the history holds $(wc -l <hist.out) events, not 1000"
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status")

"$HOSTILE_CTL" events-unread "$T/control" 50 30 unread.pid 2>unread.err &
attacker=$!
# Measured: 10 MB and 22 MB plain, 52 MB and 87 MB under ASan (its
# allocator's redzones and caches); without the bounds 180 MB plain after
# phase one.
limit=65536
case $BUILD in *asan*) limit=131072 ;; esac
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status"; }
# Each client past 1 MiB unread behind its first reply is cut off (past
# 16 MiB for all, the one with the most goes first): all 50 of them,
# unless airsupd grows past the limit first.
wait_until 120 eval '[ "$(log_count "control: pid [0-9]+ leaves [0-9]+ bytes unread")" -ge 50 ] || [ "$(rss)" -ge $limit ]' ||
        fail "the unread clients were not cut off: $(cat unread.err)"
wait_until 30 test -s unread.pid || fail "the attacker did not finish sending: $(cat unread.err)"
rss=$(rss)
echo "airsupd RSS: $rss0 kB before, $rss kB with 50 clients leaving 1500 histories unread (limit $limit kB)"
[ "$rss" -lt "$limit" ] || fail "airsupd's RSS is $rss kB with clients that do not read"
# Everyone else is served, a whole history included.
ctl status a[499] >/dev/null || fail "airsupd does not serve status"
ctl events -n 1000 >hist2.out || fail "events failed with the attacker connected"
[ "$(wc -l <hist2.out)" -ge 1000 ] || fail "the history came back short: $(wc -l <hist2.out) lines"
kill "$attacker"
wait "$attacker" 2>/dev/null

# 200 clients each under the bound alone (7 replies, 6 behind the first:
# about 0.8 MiB), 190 MB together: the total bound cuts the ones with the
# most unread until all of them hold at most 16 MiB.
"$HOSTILE_CTL" events-unread "$T/control" 200 7 many.pid 2>many.err &
attacker=$!
wait_until 120 eval '[ "$(log_count "control: pid [0-9]+ has the most replies unread")" -ge 100 ] || [ "$(rss)" -ge $limit ]' ||
        fail "the total of unread replies was not bounded: $(cat many.err)"
wait_until 30 test -s many.pid || fail "the attacker did not finish sending: $(cat many.err)"
rss=$(rss)
echo "airsupd RSS: $rss kB with 200 clients leaving 1400 histories unread (limit $limit kB)"
[ "$rss" -lt "$limit" ] || fail "airsupd's RSS is $rss kB with 200 clients that do not read"
ctl status a[0] >/dev/null 2>st.err || fail "airsupd does not serve status: $(cat st.err)"
ctl events -n 1000 | wc -l | grep -qx 1000 || fail "events came back short with 200 clients that do not read"
kill "$attacker"
wait "$attacker" 2>/dev/null
kill -0 "$AIRSUPD_PID" || fail "airsupd died"
grep -q 'leaves [0-9]* bytes unread' "$LOG" || fail "no client was cut off for its unread bytes"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 60
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
