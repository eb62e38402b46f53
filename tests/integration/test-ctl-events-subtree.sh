# airsupctl events SUPERVISOR: a supervisor's events are its own and all
# below it (its groups and their instances), in the history, live with -f
# and in status's "Last events"; events root is everything; a group's are
# its own and its instances', no sibling's; a follower sees what a reload
# adds below its node.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

cat >sub.conf <<'CONF'
[supervisor:root]
intensity = 100
[group:front]
command = sleep 1000
[supervisor:back]
[group:db]
parent = back
command = sleep 1000
instances = 2
[group:cache]
parent = back
command = sleep 1000
CONF
start_airsupd sub.conf
wait_log 'ready root'

ctl events -n 1000 root >root.out || fail "events root failed"
for n in front 'db\[0\]' 'db\[1\]' cache; do
        grep -Eq " info +ready $n pid=" root.out || fail "events root lacks 'ready $n': $(cat root.out)"
done
ctl events -n 1000 back >back.out || fail "events back failed"
for n in 'db\[0\]' 'db\[1\]' cache; do
        grep -Eq " info +ready $n pid=" back.out || fail "events back lacks 'ready $n': $(cat back.out)"
done
grep -q 'front' back.out && fail "events back shows front's: $(cat back.out)"
ctl events -n 1000 db >db.out
grep -Eq ' info +ready db\[1\] pid=' db.out || fail "events db lacks its instances: $(cat db.out)"
grep -q 'cache' db.out && fail "events db shows cache's: $(cat db.out)"
ctl status back >status.out || fail "status back failed"
sed -n '/^Last events:$/,$p' status.out | grep -Eq ' info +ready cache pid=' ||
        fail "status back's last events lack cache's: $(cat status.out)"

# -f back: a crash below it comes through, a sibling's does not.
"$AIRSUPCTL" -s "$T/control" --json events -f -n 1 back >live.json &
follower=$!
echo "$follower" >follower.pid
wait_until 10 test -s live.json || fail "the follower printed nothing"
kill -KILL "$(group_pid front)"
kill -KILL "$(group_pid cache)"
wait_until 10 eval 'grep -q "\"kind\":\"started\",\"node\":\"cache\"" live.json' ||
        fail "events -f back did not see cache restart: $(cat live.json)"
wait_log 'started front'
ctl stop 'db[1]' || fail "stop db[1] failed"
wait_until 10 eval 'grep -q "\"node\":\"db\[1\]\"" live.json' || fail "events -f back did not see db[1]: $(cat live.json)"
grep -q '"node":"front"' live.json && fail "events -f back shows front's: $(cat live.json)"
# A reload adds a group below back and one beside it: the follower reads
# the tree again and shows the one below.
cat >>sub.conf <<'CONF'
[group:extra]
parent = back
command = sleep 1000
[group:side]
command = sleep 1000
CONF
ctl reload >/dev/null || fail "reload failed"
wait_until 10 eval 'grep -q "\"kind\":\"started\",\"node\":\"extra\"" live.json' ||
        fail "events -f back did not see extra, added below it: $(cat live.json)"
wait_log 'ready side'
grep -q '"node":"side"' live.json && fail "events -f back shows side's: $(cat live.json)"
kill "$follower"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
