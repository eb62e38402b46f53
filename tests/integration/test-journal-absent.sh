# stdout = journal where no journald listens: --check warns (journald may
# start later), the start warns once and the output goes to airsupd's
# stderr as console lines instead of nowhere; airsupctl logs shows them
# (the console lines airsupd keeps), both incarnations'.
. "$(dirname "$0")/lib.sh"

ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }

if python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect("/run/systemd/journal/stdout")' 2>/dev/null; then
        echo "skip: journald listens here"
        exit 77
fi

cat >journal.conf <<'CONF'
[group:j]
command = sh -c 'echo "hello from j $$"; exec sleep 1000'
stdout = journal
backoff = 10ms
CONF
"$AIRSUPD" --check -c journal.conf >check.out 2>check.err || fail "--check refused: $(cat check.err)"
grep -q '^journal.conf: ok, 1 warning$' check.out || fail "--check says: $(cat check.out)"
grep -q '^journal.conf:3: warning: stdout: journal: no journald listens on /run/systemd/journal/stdout' check.err ||
        fail "--check warns: $(cat check.err)"

start_airsupd journal.conf
wait_log 'ready root'
wait_log 'j: journal: cannot connect to journald .*goes to airsupd.s stderr'
wait_log '^j \| hello from j [0-9]+$'
# Restarted: the output still there, the warning not again.
kill "$(group_pid j)"
wait_log_count '^j \| hello from j [0-9]+$' 2
[ "$(log_count 'cannot connect to journald')" -eq 1 ] || fail "the warning came at every start"

ctl logs j >logs.out 2>logs.err || fail "airsupctl logs exited $?: $(cat logs.err)"
[ "$(grep -c '^hello from j [0-9]*$' logs.out)" -eq 2 ] || fail "airsupctl logs j: $(cat logs.out)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
