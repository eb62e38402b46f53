# --log=auto (the default) prints events on stderr unless stderr is a
# stream to journald ($JOURNAL_STREAM names its device:inode): a socket
# file in /run that nobody listens on must not swallow them.
. "$(dirname "$0")/lib.sh"

printf '[group:a]\ncommand = sleep 1000\n' >auto.conf

# run_auto FILE [ENV...]: airsupd with the default --log, stderr to FILE,
# until 'ready root' shows there or 3 s pass; then stopped.
run_auto() {
        local out=$1
        shift
        env "$@" "$AIRSUPD" -c auto.conf --control "$T/control" 2>"$out" &
        AIRSUPD_PID=$!
        wait_until 3 grep -q 'ready root' "$out"
        kill -TERM "$AIRSUPD_PID"
        wait_until 10 not_running "$AIRSUPD_PID" || fail "airsupd did not stop"
        wait "$AIRSUPD_PID"
        AIRSUPD_PID=
}

run_auto plain.log
grep -q 'ready root' plain.log || fail "auto with stderr to a file printed no events"

# Each line: RFC 3339 wall-clock time (microseconds, offset), priority, event, node.
line=$(grep ' ready root$' plain.log)
echo "$line" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2} info ready root$' ||
        fail "not an RFC 3339 event line: '$line'"
then=$(date -d "${line%% *}" +%s)
now=$(date +%s)
[ $((now - then)) -ge 0 ] && [ $((now - then)) -lt 60 ] || fail "the event's time $then is not now ($now)"

# A JOURNAL_STREAM for some other stream: still stderr.
run_auto other.log JOURNAL_STREAM=1:1
grep -q 'ready root' other.log || fail "auto with a foreign JOURNAL_STREAM printed no events"

# JOURNAL_STREAM naming stderr itself: journald, nothing on stderr.
touch mine.log
run_auto mine.log JOURNAL_STREAM="$(stat -c '%d:%i' mine.log)"
grep -q 'ready root' mine.log && fail "auto printed on a stderr that JOURNAL_STREAM says is journald's"

# A stale journald socket (bound, nobody listening), in a mount namespace
# of its own so that the host's /run is untouched.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ ! -e /run/systemd/journal/socket ]; then
        unshare -m --propagation private sh -c '
                mount -t tmpfs tmpfs /run/ || exit 3
                mkdir -p /run/systemd/journal
                python3 -c "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(\"/run/systemd/journal/socket\")"
                "$0" -c auto.conf 2>stale.log & pid=$!
                i=0; while [ $i -lt 300 ] && ! grep -q "ready root" stale.log; do sleep 0.01; i=$((i + 1)); done
                kill -TERM $pid; wait $pid' "$AIRSUPD"
        grep -q 'ready root' stale.log || fail "auto with a stale journald socket printed no events"
else
        echo "stale-socket case skipped (not root, no unshare, or a real journald socket)"
fi
