# Restarts count only the supervisor's: an operator's stop and start, or
# restart, is a start (airsup_process_starts_total), not a restart
# (RESTARTS, airsup_process_restarts_total); a crash is both.  Figures in
# the text format are the shortest decimal that reads back the same.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

# figures: "RESTARTS_TOTAL STARTS_TOTAL STATUS_RESTARTS" of web.
figures() {
        ctl metrics --prometheus >prom.txt || fail "metrics failed"
        printf '%s %s %s\n' \
                "$(sed -n 's/^airsup_process_restarts_total{process="web",group="web"} //p' prom.txt)" \
                "$(sed -n 's/^airsup_process_starts_total{process="web",group="web"} //p' prom.txt)" \
                "$(ctl --json status web | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["restarts"])')"
}

port=$((20000 + ($$ + 7) % 20000))
printf '[airsupd]\nmetrics_listen = 127.0.0.1:%s\n[group:web]\ncommand = sleep 1000\nbackoff = 10ms\n' "$port" >starts.conf
start_airsupd starts.conf
wait_log 'ready root'
[ "$(figures)" = "0 1 0" ] || fail "at the start: $(figures)"

ctl stop web >/dev/null || fail "stop"
ctl start web >/dev/null || fail "start"
wait_log_count 'started web ' 2
[ "$(figures)" = "0 2 0" ] || fail "after stop and start (want 0 2 0): $(figures)"
ctl restart web >/dev/null || fail "restart"
wait_log_count 'started web ' 3
[ "$(figures)" = "0 3 0" ] || fail "after restart (want 0 3 0): $(figures)"

kill "$(group_pid web)"
wait_log_count 'started web ' 4
[ "$(figures)" = "1 4 1" ] || fail "after a crash (want 1 4 1): $(figures)"

# No float in airsupd's text printed with more digits than it needs
# (15.986905999999999), and each reads back as what it was.
python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/metrics').read().decode(), end='')" \
        >http.txt || fail "GET /metrics"
grep -q '^airsup_process_starts_total{process="web",group="web"} 4$' http.txt || fail "GET /metrics: $(cat http.txt)"
if grep -E ' [0-9]+\.[0-9]{16,}$' http.txt; then
        fail "a figure printed with 17 digits"
fi
# ... nor in airsupctl's (its table and --prometheus).
ctl metrics >ctl.txt || fail "airsupctl metrics"
ctl metrics --prometheus >>ctl.txt || fail "airsupctl metrics --prometheus"
grep -q 'airsup_process_starts_total' ctl.txt || fail "airsupctl metrics: $(cat ctl.txt)"
if grep -E ' [0-9]+\.[0-9]{16,}$' ctl.txt; then
        fail "airsupctl metrics printed a figure with 17 digits"
fi
# A group's start while it runs starts only its stopped instance: the
# running one's next crash is still its supervisor's restart.
cat >>starts.conf <<'CONF'
[group:pool]
command = sleep 1000
instances = 2
backoff = 10ms
CONF
ctl reload >/dev/null || fail "reload adding pool"
ctl stop 'pool[1]' >/dev/null || fail "stop pool[1]"
wait_log 'stopped pool\[1\]'
ctl start pool >/dev/null || fail "start pool"
wait_log_count 'started pool\[1\] ' 2
kill "$(group_pid 'pool\[0\]')"
wait_log_count 'started pool\[0\] ' 2
ctl metrics --prometheus >prom.txt || fail "metrics failed"
grep -q '^airsup_process_restarts_total{process="pool\[0\]",group="pool"} 1$' prom.txt ||
        fail "pool[0]'s crash is no restart: $(grep 'pool' prom.txt | grep starts)"
grep -q '^airsup_process_restarts_total{process="pool\[1\]",group="pool"} 0$' prom.txt ||
        fail "pool[1]'s start is a restart: $(grep 'pool' prom.txt | grep starts)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
