# Routing per message for pools (airsup.conf(5) route =), with real
# processes: 300 messages to a pool of 3 with round_robin are 100 to each
# instance; with broadcast all 300 reach each; with hash each of 10 keys
# always reaches one instance; with least_loaded all 300 arrive; and the
# default (lookup) keeps a sender on the one instance its lookup gave.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/req-peer
{
        echo "[supervisor:root]"
        for route in round_robin broadcast hash least_loaded lookup; do
                cat <<CONF
[supervisor:$route]
[group:$route-pool]
command = $PEER route-worker $T/$route
instances = 3
ready = notify
route = $route
[group:$route-send]
command = $PEER route-send $route-pool 300 $T
restart = temporary
CONF
        done
} >route.conf
for route in round_robin broadcast hash least_loaded lookup; do mkdir -p "$route"; done
start_airsupd route.conf
wait_log 'ready root' 30
for route in round_robin broadcast hash least_loaded lookup; do
        wait_until 30 grep -qx sent "sent-$route-pool" || fail "$route: the sender did not finish: $(cat sent-$route-pool 2>/dev/null)"
done

total() { cat "$1"/w-* 2>/dev/null | grep -c .; }
wait_until 30 eval '[ "$(total round_robin)" -eq 300 ] && [ "$(total broadcast)" -eq 900 ] &&
        [ "$(total hash)" -eq 300 ] && [ "$(total least_loaded)" -eq 300 ] && [ "$(total lookup)" -eq 300 ]' ||
        fail "not all arrived: rr $(total round_robin) bc $(total broadcast) hash $(total hash) ll $(total least_loaded) lookup $(total lookup)"

[ "$(ls round_robin | wc -l)" -eq 3 ] || fail "round_robin reached $(ls round_robin | wc -l) instances"
for f in round_robin/w-*; do
        [ "$(grep -c . "$f")" -eq 100 ] || fail "round_robin: $f got $(grep -c . "$f"), not 100"
done
for f in broadcast/w-*; do
        [ "$(sort -n "$f" | uniq | grep -c .)" -eq 300 ] || fail "broadcast: $f did not get all 300"
done
for key in 0 1 2 3 4 5 6 7 8 9; do
        [ "$(grep -lx "$key" hash/w-* | wc -l)" -eq 1 ] || fail "hash: key $key reached $(grep -lx "$key" hash/w-* | wc -l) instances"
done
[ "$(ls hash | wc -l)" -ge 2 ] || fail "hash: 10 keys all went to one instance"
[ "$(ls lookup | wc -l)" -eq 1 ] || fail "lookup: one sender reached $(ls lookup | wc -l) instances"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
