# Each process receives its stop signal once: a second SIGTERM means
# "quit now" to many daemons and skips their graceful shutdown.  The child
# (tests/sigcount) spins, so two signals sent back to back are two
# deliveries; 20 rounds, each must count exactly one.
. "$(dirname "$0")/lib.sh"

printf "[group:c]\ncommand = %s %s/count\nshutdown = 5s\n" "$SIGCOUNT" "$T" >once.conf
for round in $(seq 1 20); do
        rm -f count count.ready
        start_airsupd once.conf
        wait_until 10 test -e count.ready || fail "round $round: the child did not start"
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit 20
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "round $round: airsupd exited $AIRSUPD_STATUS"
        [ -s count ] || fail "round $round: the child wrote no count"
        [ "$(cat count)" = 1 ] || fail "round $round: the child received its stop signal $(cat count) times"
done
