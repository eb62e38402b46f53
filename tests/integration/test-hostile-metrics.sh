# metrics_listen against slowloris: clients that connect and send a request
# one byte a second, so that an idle timeout never fires.
# 1. 72 of them from 127.0.0.1 (reconnecting when cut): only 8 get a place
#    (the per-address limit), a scrape from 127.0.0.2 is answered within
#    2 s, and each slow connection is shut down 10 s after its accept (the
#    whole-request deadline), not kept while it dribbles.
# 2. 80 of them from ten addresses, 8 each, taking all 64 places and
#    reconnecting at once when cut: a scrape from another address is still
#    answered once the deadline frees places, within 15 s.
# Bounded: about 35 s in all.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
port=$((20000 + ($$ + 7919) % 20000))
# Established connections to the port (server side), [from address HEX].
held() {
        awk -v port="$(printf ':%04X' "$port")" -v from="${1:-}" \
                'substr($2, 9) == port && $4 == "01" && (from == "" || substr($3, 1, 8) == from)' /proc/net/tcp | wc -l
}
cat >metrics.conf <<CONF
[airsupd]
metrics_listen = 127.0.0.1:$port
[group:web]
command = sleep 1000
CONF

# slow.py PORT SECONDS OUT SRC:N...: N connections from each SRC address,
# each sending a request a byte a second, reconnecting 0.2 s after it is
# cut; writes OUT.started once all have connected, then OUT with one line
# per connection: "SRC seconds-it-lived cut|open".
cat >slow.py <<'PY'
import os, select, socket, sys, time
port, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
conns, done, again = {}, [], []
def connect(src):
    s = socket.socket()
    s.setblocking(False)
    s.bind((src, 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    conns[s] = [src, time.monotonic(), 0]
for spec in sys.argv[4:]:
    src, n = spec.split(":")
    for _ in range(int(n)):
        connect(src)
open(out + ".started", "w").close()
end = time.monotonic() + secs
next_byte = time.monotonic()
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_byte:                # one more byte on each
        next_byte = now + 1
        for s, c in list(conns.items()):
            try:
                s.send(request[c[2]:c[2] + 1])
                c[2] += 1
            except (BlockingIOError, OSError):
                pass
    r, _, _ = select.select(list(conns), [], [], 0.1)
    for s in r:                         # the server cut it: anything read ends it
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            continue
        src, t0, _ = conns.pop(s)
        s.close()
        done.append("%s %.2f cut" % (src, time.monotonic() - t0))
        again.append((time.monotonic() + 0.2, src))
    for when, src in list(again):
        if when <= time.monotonic():
            again.remove((when, src))
            connect(src)
for s, (src, t0, _) in conns.items():
    done.append("%s %.2f open" % (src, time.monotonic() - t0))
with open(out + ".tmp", "w") as f:
    f.write("\n".join(done) + "\n")
os.rename(out + ".tmp", out)
PY

start_airsupd metrics.conf
wait_log 'ready root'
curl -sf -m 5 "http://127.0.0.1:$port/metrics" | grep -q '^airsupd_children 1$' || fail "no metrics before the attack"

# 1. One address.
python3 slow.py "$port" 16 one.out 127.0.0.1:72 &
wait_until 10 test -e one.out.started || fail "the slow clients did not start"
# Let them take what they can (airsupd accepts them on its loop).
wait_until 10 eval '[ "$(held)" -ge 8 ]' ||
        fail "the slow clients did not get in"
start=$(date +%s%N)
curl -sf -m 2 --interface 127.0.0.2 "http://127.0.0.1:$port/metrics" >scrape1 ||
        fail "no scrape from 127.0.0.2 within 2 s while 127.0.0.1 is slowloris"
echo "scrape from another address during the attack: $((($(date +%s%N) - start) / 1000000)) ms"
grep -q '^airsupd_children 1$' scrape1 || fail "the scrape is not the metrics"
n=$(held 0100007F)
echo "connections 127.0.0.1 holds: $n"
[ "$n" -le 8 ] || fail "127.0.0.1 holds $n connections, past the limit of 8"
wait_until 25 test -e one.out || fail "the slow clients did not finish"
# Each connection that got a place lived about 10 s: cut by the deadline
# although it never stopped sending; none lived past it.
long=$(awk '$3 == "cut" && $2 >= 9 && $2 <= 13.5' one.out | wc -l)
over=$(awk '$2 > 13.5' one.out | wc -l)
echo "slow connections cut at the deadline: $long; older than 13.5 s: $over"
[ "$long" -ge 8 ] || fail "fewer than 8 slow connections were cut at the deadline: $(sort -k2 -n one.out | tail -n 10)"
[ "$over" -eq 0 ] || fail "$over slow connections lived past the deadline: $(sort -k2 -n one.out | tail -n 3)"

# 2. Ten addresses, all 64 places taken, reconnecting as soon as cut.
args=
for i in $(seq 10 19); do args="$args 127.0.0.$i:8"; done
python3 slow.py "$port" 16 many.out $args &
wait_until 10 test -e many.out.started || fail "the slow clients did not start"
wait_until 10 eval '[ "$(held)" -ge 64 ]' ||
        fail "the slow clients did not take the 64 places"
start=$(date +%s%N)
got=
while [ "$(date +%s%N)" -lt $((start + 15000000000)) ]; do
        if curl -sf -m 15 --interface 127.0.0.3 "http://127.0.0.1:$port/metrics" -o scrape2 --trace-time --trace-ascii curl2.trace; then
                got=1
                break
        fi
        sleep 0.1
done
took=$((($(date +%s%N) - start) / 1000000))
echo "scrape with all 64 places taken: ${took} ms"
[ -n "$got" ] || fail "no scrape within 15 s while all 64 places are taken: $(head -n 20 curl2.trace; held) connections"
grep -q '^airsupd_children 1$' scrape2 || fail "the scrape is not the metrics"
# (Those past the 64 waited in the listen queue: their deadline began at
# their accept, so their lifetimes say nothing here.)
wait_until 25 test -e many.out || fail "the slow clients did not finish"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 10
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
