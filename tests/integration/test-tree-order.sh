# A nested tree starts depth first in file order, each child after the
# previous one is ready, and stops in exactly the reverse order.
. "$(dirname "$0")/lib.sh"

cat >airsup.conf <<'CONF'
[group:a]
command = sleep 1000
[supervisor:s1]
[group:b]
parent = s1
command = sleep 1000
ready = 200ms
[supervisor:s2]
parent = s1
[group:c]
parent = s2
command = sleep 1000
[group:d]
parent = s1
command = sleep 1000
[group:e]
command = sleep 1000
CONF

start_airsupd airsup.conf
expect_trace 0 '^(started|ready) ' \
        'started a,ready a,started b,ready b,started c,ready c,ready s2,started d,ready d,ready s1,started e,ready e,ready root'
mark=$(log_mark)
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ "$(trace "$mark" '^stopped ')" = 'stopped e,stopped d,stopped c,stopped b,stopped a' ] ||
        fail "stop order: $(trace "$mark" '^stopped ')"
