# Metrics: airsupctl metrics (table, --json, --prometheus that promtool
# accepts), and the same text over HTTP on metrics_listen, where anything
# but GET /metrics is 404 or 405.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
port=$((20000 + $$ % 20000))
cat >metrics.conf <<CONF
[airsupd]
metrics_listen = 127.0.0.1:$port
[group:web]
command = sleep 1000
instances = 2
ready = 150ms
[group:crash]
command = sh -c 'exit 3'
backoff = 10ms
restart = temporary
CONF
start_airsupd metrics.conf
wait_log 'ready root'
wait_log 'exited crash'

ctl metrics --prometheus >prom.txt || fail "metrics --prometheus failed"
grep -q '^airsup_process_ready{process="web\[1\]",group="web"} 1$' prom.txt || fail "no ready web[1]: $(cat prom.txt)"
grep -q '^airsup_process_last_exit_code{process="crash",group="crash"} 3$' prom.txt || fail "no exit code 3 for crash"
grep -q '^airsupd_children 2$' prom.txt || fail "airsupd_children is not 2"
# Start latency: fork to ready, here at least the 150 ms of ready =.
lat=$(sed -n 's/^airsup_process_start_latency_seconds{process="web\[0\]",group="web"} //p' prom.txt)
python3 -c "import sys; l=float('$lat'); sys.exit(not 0.15 <= l < 10)" || fail "start latency of web[0] is '$lat'"
# crash is ready at exec (ready = none): fork to exec only.
lat=$(sed -n 's/^airsup_process_start_latency_seconds{process="crash",group="crash"} //p' prom.txt)
python3 -c "import sys; l=float('$lat'); sys.exit(not 0 < l < 10)" || fail "start latency of crash is '$lat'"
if command -v promtool >/dev/null; then
        promtool check metrics <prom.txt || fail "promtool rejects the metrics: $(promtool check metrics <prom.txt 2>&1)"
else
        echo "promtool not installed: text format not checked by it"
fi
ctl --json metrics | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert any(s["name"] == "airsupd_events_total" and s["value"] > 0 for s in m), m' || fail "metrics --json"
ctl metrics | grep -Eq '^airsupd_open_fds +[0-9]+$' || fail "metrics table"

if command -v curl >/dev/null; then
        code=$(curl -s -o http.txt -w '%{http_code}' "http://127.0.0.1:$port/metrics")
        [ "$code" = 200 ] || fail "GET /metrics: $code"
        grep -q '^airsup_node_up{node="web",kind="group"} 1$' http.txt || fail "GET /metrics: $(cat http.txt)"
        if command -v promtool >/dev/null; then
                promtool check metrics <http.txt || fail "promtool rejects GET /metrics"
        fi
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 404 ] || fail "GET / is not 404"
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$port/metrics")" = 405 ] ||
                fail "POST /metrics is not 405"
        # A client that connects and says nothing does not stop the others.
        python3 -c "
import signal, socket
s = socket.create_connection(('127.0.0.1', $port))
open('idle.ready', 'w').close()
signal.pause()" &
        idle=$!
        wait_until 10 test -e idle.ready || fail "the idle client did not connect"
        [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" = 200 ] ||
                fail "an idle connection blocked the next scrape"
        kill "$idle"
else
        echo "curl not installed: metrics_listen not checked"
fi
ctl status web >/dev/null || fail "airsupd stopped serving"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# A bad metrics_listen is a FILE:LINE error.
printf '[airsupd]\nmetrics_listen = localhost\n[group:a]\ncommand = /bin/true\n' >bad.conf
"$AIRSUPD" --check -c bad.conf 2>bad.err && fail "--check took metrics_listen = localhost"
grep -q 'bad.conf:2: metrics_listen: expected ADDRESS:PORT' bad.err || fail "bad metrics_listen says: $(cat bad.err)"
exit 0
