# A real sd_notify client: redis-server --supervised systemd under
# ready = notify.  Its sibling starts only once redis is ready, so its first
# PING is answered.  redis-server is a test dependency (mk/deps.sh test).
. "$(dirname "$0")/lib.sh"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        echo "redis-server is not installed"
        exit 77
fi

cat >airsup.conf <<CONF
[group:redis]
command = redis-server --port 0 --unixsocket $T/redis.sock --supervised systemd --save ''
        --appendonly no --dir $T --loglevel warning
ready = notify
start_timeout = 20s
[group:client]
command = sh -c 'redis-cli -s $T/redis.sock ping > ping.out 2>&1; exec sleep 1000'
CONF

start_airsupd airsup.conf
wait_log 'ready client' 30
wait_until 5 test -s ping.out || fail "the client wrote nothing"
[ "$(cat ping.out)" = PONG ] || fail "first PING got: $(cat ping.out)"
[ "$(trace 0 '^(started|ready) (redis|client)$')" = 'started redis,ready redis,started client,ready client' ] ||
        fail "order: $(trace 0 '^(started|ready) (redis|client)$')"
# redis announced itself through the same socket.
log_has 'status redis .*status="Ready to accept connections' || fail "no STATUS= from redis"
redis=$(group_pid redis)
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
gone "$redis" || fail "redis still runs"
