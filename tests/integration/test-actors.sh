# Messages from other groups to actors, through real lanes and real
# processes: 100 messages reach the actor "counter" of group host, in
# order, with the address taken off, and airsupctl actors shows them; a message whose handler is SIGKILLed
# mid-way comes again to the next incarnation of the same actor, flagged;
# a message to an actor that is not there is a dead letter saying so; and
# an actor whose escalations exceed the root supervisor's intensity ends
# the process with status 70, which airsupd's own strategy restarts.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$AIRSUPD")/tests/actor-peer
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
base() {
        cat <<CONF
[supervisor:root]
intensity = 100
period = 1m
[group:host]
command = $PEER host $T
ready = notify
backoff = 0
[group:feed]
command = $PEER send host/counter 1 100
restart = temporary
CONF
}
base >actors.conf
start_airsupd actors.conf
wait_log 'ready host' 30

# 1. In order, each once, the address taken off.
wait_until 30 eval '[ "$(grep -c . counter 2>/dev/null)" -ge 100 ]' || fail "counter got $(grep -c . counter 2>/dev/null) of 100"
[ "$(seq 0 99)" = "$(cat counter)" ] || fail "counter did not get 0..99 in order: $(head -c 200 counter)"

# The table the process publishes: its actors, their counters.
wait_until 10 eval 'ctl actors host | grep -Eq "counter +actor +running +0 +100 "' ||
        fail "airsupctl actors does not show counter with 100 handled: $(ctl actors host 2>&1)"
ctl actors host | grep -Eq "slow +actor +running" || fail "slow is not listed"
ctl --json actors host | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = [r for i in d for r in i["rows"]]
assert d[0]["instance"] == "host" and d[0]["actors"] == 3 and d[0]["supervisors"] == 1, d[0]
c = [r for r in rows if r["name"] == "counter"][0]
assert c["processed"] == 100 and c["kind"] == "actor", c
' || fail "airsupctl --json actors host is not what it should be: $(ctl --json actors host 2>&1)"

# 2. Killed in the handler: the same message again, flagged.
{ base; cat <<CONF
[group:poke]
command = $PEER send host/slow 7 1
restart = temporary
[group:lost]
command = $PEER send host/nobody 3 1
restart = temporary
CONF
} >actors.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 test -s inside || fail "the slow actor never got its message"
first=$(cat inside)
kill -KILL "$first"
wait_until 30 test -s redelivered || fail "the message was not delivered again after the kill"
[ "$(cat redelivered)" -ge 1 ] || fail "redelivered count $(cat redelivered)"
[ "$(grep -c . inside)" -eq 1 ] || fail "the first delivery came twice unflagged"
[ "$(grep -c . started)" -eq 2 ] || fail "host started $(grep -c . started) times, expected 2"

# 3. No such actor: a dead letter with that reason, kept by airsupd.
wait_until 30 eval 'ctl dead-letters 2>/dev/null | grep -q nobody' ||
        fail "no dead letter for host/nobody: $(ctl dead-letters 2>&1)"

# 4. An attacker's lies about the address (too long, beyond the payload,
# not a name) are dead letters; the process goes on, and the honest
# message after them arrives.
host=$(group_pid host)
{ base; cat <<CONF
[group:evil]
command = $PEER evil host
restart = temporary
CONF
} >actors.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 grep -qx 4242 counter || fail "the honest message after the lies never arrived"
[ "$(group_pid host)" = "$host" ] || fail "host was restarted by the lies"
wait_until 10 eval '[ "$(ctl dead-letters | grep -c "bad actor address")" -ge 3 ]' ||
        fail "expected 3 bad-address dead letters: $(ctl dead-letters 2>&1)"
# Through the lane's address table: the honest entry delivers; the entry
# whose length lies garbles the attacker's own lane, and nothing of it
# reaches an actor.
wait_until 30 grep -qx 4243 counter || fail "the message by the address table never arrived"
wait_until 30 eval 'ctl metrics --prometheus | grep -E "^airsup_mailbox_errors_total[{].*host.*[}] [1-9]"' >/dev/null ||
        fail "the lying table entry was not counted as an error: $(ctl metrics --prometheus | grep mailbox_errors)"
! grep -q 4245 counter || fail "a message by a lying table entry was delivered"
[ "$(group_pid host)" = "$host" ] || fail "host was restarted by the table's lies"
if grep -q BAD-ACTOR counter; then fail "a message reached the wrong actor: $(grep BAD-ACTOR counter)"; fi

# 4b. A sender that addresses more actors than the lane's address table
# holds: the one past it goes with its name in the record, and arrives.
{ base; cat <<CONF
[group:spray]
command = $PEER spray host 40
restart = temporary
CONF
} >actors.conf
ctl reload >/dev/null || fail "reload failed"
wait_until 30 grep -qx 4244 counter || fail "the message past a full address table never arrived"

# 5. Two escalations in a minute exceed the root's intensity of 1: the
# process exits 70 and airsupd restarts it (its own strategy).
{ base; cat <<CONF
[group:bomber]
command = $PEER send host/bomb 9 2
restart = temporary
CONF
} >actors.conf
ctl reload >/dev/null || fail "reload failed"
wait_log 'exited host .*status=70' 30
log_has 'actor-failed host .*actor=bomb error=EIO answer=escalate' || fail "no actor-failed event for bomb"
log_has 'actors-gave-up host .*actor=root error=EIO detail="bomb"' || fail "no final gave-up event naming bomb"
ctl --json events | grep -q '"actors-gave-up"' || fail "airsupctl events does not show the actors' give-up"
wait_until 30 eval '[ "$(grep -c . started)" -ge 3 ]' || fail "host was not started again after it gave up"
wait_log 'ready host' 30
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
