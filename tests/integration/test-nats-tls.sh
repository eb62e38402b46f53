# The bridge over TLS (airsup-nats(8)): a nats-server that speaks only
# TLS, with a certificate from a CA made here; two deployments whose
# bridges trust that CA (nats_tls_ca) pass messages through it, a bridge
# that does not trust it never connects (its health says degraded, the
# event says why), and --check warns of a client key others can read.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "no nats-server (package nats-server)"; exit 77; }
command -v openssl >/dev/null || { echo "no openssl"; exit 77; }
BRIDGE=$(dirname "$AIRSUPD")/airsup-nats
PEER=$(dirname "$AIRSUPD")/tests/req-peer
mkdir -p b

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=airsup-test-ca \
        >openssl.log 2>&1 || fail "openssl (CA): $(cat openssl.log)"
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 >>openssl.log 2>&1 ||
        fail "openssl (key): $(cat openssl.log)"
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext \
        >>openssl.log 2>&1 || fail "openssl (sign): $(cat openssl.log)"
chmod 600 server.key ca.key

nats-server -a 127.0.0.1 -p -1 --ports_file_dir "$T" --tls --tlscert server.pem --tlskey server.key >nats.log 2>&1 &
echo $! >nats.pid
wait_until 10 eval 'ls "$T"/*.ports >/dev/null 2>&1' || fail "nats-server did not start: $(cat nats.log)"
PORT=$(grep -o '127.0.0.1:[0-9]*' "$T"/*.ports | head -n 1 | cut -d: -f2)
URL=tls://127.0.0.1:$PORT

cat >b.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
nats_tls_ca = $T/ca.pem
import = secure.>
[group:sub]
command = $PEER sub - $T/b
subscribe = secure.>
ready = notify
CONF
"$AIRSUPD" -c b.conf --log=stderr -v --control "$T/b.control" 2>b.log &
echo $! >b.pid
wait_until 20 grep -q 'status bridge .*connected to NATS' b.log || fail "B's bridge did not connect over TLS: $(tail -5 b.log)"

cat >a.conf <<CONF
[supervisor:root]
[group:bridge]
command = $BRIDGE
nats = $URL
nats_tls_ca = $T/ca.pem
export = secure.>
[group:pub]
command = $PEER pub secure.x 50 a $T
restart = temporary
[group:untrusting]
command = $BRIDGE
nats = $URL
import = other.>
CONF
start_airsupd a.conf
wait_until 30 eval '[ "$(grep -c "^secure.x " b/s-* 2>/dev/null)" -ge 50 ]' ||
        fail "B got $(grep -c . b/s-* 2>/dev/null) of 50 over TLS: $(grep bridge "$LOG" | tail -3)"
# A bridge without the CA cannot verify the server: it never connects.
wait_log 'degraded untrusting .*declared=yes' 20
! log_has 'status untrusting .*"connected to NATS"' || fail "a bridge that does not trust the CA connected"

# A client key others can read: a warning at --check.
cp server.key client.key
chmod 644 client.key
printf '[group:x]\ncommand = /bin/true\nnats = %s\nnats_tls_cert = %s/server.pem\nnats_tls_key = %s/client.key\n' \
        "$URL" "$T" "$T" >c.conf
"$AIRSUPD" --check -c c.conf >check.out 2>&1
grep -q 'c.conf:5: warning: nats_tls_key: .* is readable by others' check.out || fail "no warning: $(cat check.out)"

"$AIRSUPCTL" -s "$T/b.control" shutdown >/dev/null
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
