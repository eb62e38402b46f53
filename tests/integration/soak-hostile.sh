# soak-hostile.sh [SECONDS] - one airsupd under every kind of hostile
# input at once, for SECONDS (default 20; `make soak` runs 300): clients
# of the control socket that never read, hold connections or stop
# following, a child that garbles its channel and one that passes
# lingering sockets on it, a child that floods its notify socket, a
# crash loop, a log writer, outsiders flooding a notify socket, a
# metrics client that dribbles, and reloads of a broken and a good file.
# Each second it samples airsupd's RSS, its fds and how long
# `airsupctl status` takes (the loop's latency as an operator sees it);
# at the end each has to be within the bounds airsupd(8) promises
# (SECURITY), and the crash loop must have gone on being restarted.
. "$(dirname "$0")/lib.sh"

secs=${1:-20}
rss_limit=65536                 # kB; 128 MB under ASan (redzones, quarantine)
lat_limit_ms=2000
fds_limit=1500
case $BUILD in *asan*) rss_limit=131072; lat_limit_ms=4000 ;; esac
port=$((20000 + $$ % 20000))
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >pet.py <<'PY'
import os, socket, time
a = os.environ["NOTIFY_SOCKET"]
a = "\0" + a[1:] if a[0] == "@" else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", a)
while True:
    s.sendto(b"WATCHDOG=1", a)
    time.sleep(0.05)
PY
cat >status.py <<'PY'
import os, socket
a = os.environ["NOTIFY_SOCKET"]
a = "\0" + a[1:] if a[0] == "@" else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", a)
i = 0
while True:
    i += 1
    try:
        s.sendto(b"STATUS=flood %d" % i, a)
    except BlockingIOError:
        pass
PY
cat >good.conf <<CONF
[airsupd]
metrics_listen = 127.0.0.1:$port
[supervisor:loop]
intensity = 100000
period = 1s
[group:crashy]
parent = loop
command = sh -c 'sleep 0.1; exit 3'
backoff = 0
[group:pet]
command = python3 $T/pet.py
ready = notify
health = watchdog
health_interval = 500ms
health_threshold = 2
[group:status]
command = python3 $T/status.py
ready = notify
[group:garbage]
command = $HOSTILE chan-garbage $T/garbage.txt
[group:linger]
command = $HOSTILE chan-linger 16 30 $T/go $T/linger.out
[group:logger]
command = sh -c 'while :; do seq 1 2000; sleep 0.05; done'
stdout = log:$T/logger.log
log_max = 64K
log_keep = 2
CONF
touch go
sed 's/^intensity = 100000/intensity = many/' good.conf >broken.conf
cp good.conf airsup.conf
start_airsupd airsup.conf
wait_log 'ready root' 30

# The outsiders, each in a loop of its own until the end.
end=$(($(date +%s) + secs))
attack() {      # attack NAME COMMAND...: COMMAND again and again until the end
        local name=$1
        shift
        while [ "$(date +%s)" -lt "$end" ]; do
                "$@" >/dev/null 2>&1
        done &
        echo $! >"$T/$name.pid"
}
attack unread timeout 3 "$HOSTILE" ctl-unread "$T/control" 5000 "$T/unread.inner"
attack many timeout 3 "$HOSTILE" ctl-many "$T/control" 200 "$T/many.inner"
attack follow timeout 3 "$HOSTILE" stall-follower "$T/control" "$T/follow.inner"
attack hup sh -c "cp $T/broken.conf $T/airsup.conf; kill -HUP $AIRSUPD_PID; sleep 0.5; cp $T/good.conf $T/airsup.conf; kill -HUP $AIRSUPD_PID; sleep 0.5"
attack dribble timeout 5 python3 -c '
import socket, sys, time
cs = []
for i in range(80):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
        c.send(b"G"); cs.append(c)
    except OSError:
        pass
for _ in range(4):
    for c in cs:
        try: c.send(b"E")
        except OSError: pass
    time.sleep(1)' "$port"
attack flood sh -c "for s in \$(find /run/airsup-notify.* /tmp/airsup-notify.* -type s 2>/dev/null | head -20); do timeout 1 $HOSTILE nobody flood \$s 2000; done; sleep 0.2"

max_rss=0 max_fds=0 max_ms=0 samples=0
while [ "$(date +%s)" -lt "$end" ]; do
        kill -0 "$AIRSUPD_PID" 2>/dev/null || fail "airsupd died"
        rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$AIRSUPD_PID/status")
        fds=$(ls "/proc/$AIRSUPD_PID/fd" | wc -l)
        t0=$(date +%s%N)
        # An answer is exit 0, or 3: something (a crash loop) is down.
        answered() {
                timeout 10 "$AIRSUPCTL" -s "$T/control" status >/dev/null 2>&1
                local rc=$?
                [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
        }
        answered || answered || fail "status did not answer (twice)"
        ms=$((($(date +%s%N) - t0) / 1000000))
        [ "$rss" -gt "$max_rss" ] && max_rss=$rss
        [ "$fds" -gt "$max_fds" ] && max_fds=$fds
        [ "$ms" -gt "$max_ms" ] && max_ms=$ms
        samples=$((samples + 1))
        sleep 1
done
for a in unread many follow hup dribble flood; do
        kill "$(cat "$a.pid")" 2>/dev/null
done
wait_until 10 eval '! pgrep -f "$HOSTILE (nobody )?(ctl-|stall|flood)" >/dev/null'
cp good.conf airsup.conf
restarts=$(log_count 'started crashy')
echo "soak: ${secs}s, $samples samples: RSS max ${max_rss} kB (limit $rss_limit), fds max $max_fds" \
        "(limit $fds_limit), status max ${max_ms} ms (limit $lat_limit_ms), crashy started $restarts times"
echo "soak: $(log_count 'leaves its replies unread') unread clients cut off, $(log_count 'reload-failed') broken" \
        "and $(log_count 'reloaded|reload-applied|reload: applied') good reloads, $(log_count 'health-failed') health failures"
grep -E 'warning|err' "$LOG" | awk '{ $1 = ""; print }' | sed 's/[0-9]\+/N/g' | sort | uniq -c | sort -rn | head -12
[ "$samples" -ge $((secs / 3)) ] || fail "only $samples samples in ${secs}s"
[ "$max_rss" -lt "$rss_limit" ] || fail "airsupd's RSS reached $max_rss kB"
[ "$max_fds" -lt "$fds_limit" ] || fail "airsupd held $max_fds fds"
[ "$max_ms" -lt "$lat_limit_ms" ] || fail "a status took $max_ms ms"
[ "$restarts" -ge $((secs * 2)) ] || fail "the crash loop was restarted only $restarts times in ${secs}s"
log_has 'pet .*health-failed|health-failed pet' && fail "the petting child was failed"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
