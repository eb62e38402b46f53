# lib.sh - helpers for integration tests: a real airsupd in a temporary
# directory, real children, and waits with deadlines instead of sleeps.
# Sourced by each test-*.sh; $BUILD names the build directory.

set -u
: "${BUILD:=build}"
AIRSUPD=$(cd "$BUILD" && pwd)/airsupd
HOSTILE=$(cd "$BUILD" && pwd)/tests/hostile
SIGCOUNT=$(cd "$BUILD" && pwd)/tests/sigcount
MSGPEER=$(cd "$BUILD" && pwd)/tests/msg-peer
AIRSUPCTL=$(cd "$BUILD" && pwd)/airsupctl
T=$(mktemp -d /tmp/airsup-it.XXXXXX)
LOG=$T/airsupd.log
AIRSUPD_PID=
cd "$T" || exit 1
# The test's own runtime directory: airsupd's default state directory and
# control socket go there (airsupd(8), AIRSUP_RUNTIME_DIR), and airsupctl
# without -s looks there; never where an airsupd of the machine runs.
export AIRSUP_RUNTIME_DIR=$T/run AIRSUP_CONTROL=$T/run/control

fail() {
        echo "FAIL: $*" >&2
        if [ -s "$LOG" ]; then
                echo "--- airsupd log:" >&2
                tail -n 40 "$LOG" >&2
        fi
        exit 1
}

cleanup() {
        if [ -n "$AIRSUPD_PID" ] && kill -0 "$AIRSUPD_PID" 2>/dev/null; then
                kill -KILL "$AIRSUPD_PID" 2>/dev/null
        fi
        # Anything a failed test left behind runs in a session of its own.
        for f in "$T"/*.pid; do
                [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
        done
        # A killed airsupd leaves its cgroups: what runs in them goes, then
        # they do.
        [ -s "$LOG" ] && sed -n 's/.* cgroup root \(\/[^ ]*\) controllers=.*/\1/p' "$LOG" | while read -r top; do
                for d in "$top"/*/; do
                        [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
                done
                wait_until 5 eval "! grep -qx 'populated 1' $top/*/cgroup.events"
                find "$top" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
                case $top in */airsupd-*) rmdir "$top" 2>/dev/null ;; esac
        done
        rm -rf "$T"
}
trap cleanup EXIT

# Polls COMMAND until it succeeds or SECONDS pass (default 10).
wait_until() {
        local secs=$1 end
        shift
        end=$(($(date +%s%N) + secs * 1000000000))
        while ! "$@" 2>/dev/null; do
                [ "$(date +%s%N)" -lt "$end" ] || return 1
                sleep 0.01
        done
}

log_has() { grep -Eq -- "$1" "$LOG"; }
log_count() { grep -Ec -- "$1" "$LOG"; }

# wait_log PATTERN [SECONDS]: an event matching PATTERN shows up.
wait_log() {
        wait_until "${2:-10}" log_has "$1" || fail "no log line matching '$1' within ${2:-10}s"
}

# wait_log_count PATTERN N [SECONDS]
wait_log_count() {
        wait_until "${3:-10}" eval "[ \$(log_count '$1') -ge $2 ]" ||
                fail "fewer than $2 log lines matching '$1' within ${3:-10}s"
}

# Time (seconds since the epoch, from the RFC 3339 time airsupd printed)
# of the Nth event matching PATTERN.
event_time() {
        date -d "$(grep -E -- "$1" "$LOG" | sed -n "${2:-1}p" | cut -d' ' -f1)" +%s.%N
}

start_airsupd() {
        local conf=$1
        shift
        # Emptied here, not by the background job's redirection: a wait_log
        # right after must not find the last airsupd's lines in it.
        : >"$LOG"
        "$AIRSUPD" -c "$conf" --log=stderr -v --control "$T/control" "$@" 2>>"$LOG" &
        AIRSUPD_PID=$!
}

# wait_airsupd_exit [SECONDS]: sets AIRSUPD_STATUS.
wait_airsupd_exit() {
        wait_until "${1:-20}" not_running "$AIRSUPD_PID" || fail "airsupd did not exit within ${1:-20}s"
        wait "$AIRSUPD_PID"
        AIRSUPD_STATUS=$?
        AIRSUPD_PID=
        sanitizer_clean
}

# cgroup_top_or_skip: after start_airsupd of a file with cgroup =
# required, sets CG_TOP to airsupd's cgroup, or ends the test with 77
# where there are no writable cgroups v2 (airsupd then exits 78).
cgroup_top_or_skip() {
        wait_until 10 log_has 'cgroup root|cgroup = required' || fail "no cgroup event"
        if ! wait_until 5 log_has 'info cgroup root /'; then
                wait_airsupd_exit 10
                [ "$AIRSUPD_STATUS" = 78 ] || fail "cgroup = required without cgroups: exit $AIRSUPD_STATUS, not 78"
                echo "skip: no writable cgroup v2 here: $(grep 'cgroup = required' "$LOG")"
                exit 77
        fi
        CG_TOP=$(sed -n 's/.* cgroup root \(\/[^ ]*\) controllers=.*/\1/p' "$LOG" | head -n 1)
        [ -d "$CG_TOP" ] || fail "no cgroup directory $CG_TOP"
}

# Under SAN=1 a sanitizer report in airsupd's output fails the test even
# where the exit status alone would not show it.
sanitizer_clean() {
        if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG" 2>/dev/null; then
                fail "sanitizer report in airsupd's output"
        fi
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

# A process is gone when it does not exist or is a zombie nobody reaped yet.
gone() {
        local s
        s=$(sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
        [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}
alive() { ! gone "$1"; }

wait_gone() {
        wait_until "${2:-10}" gone "$1" || fail "process $1 still alive after ${2:-10}s"
}

# pid of the current main process of GROUP, from the last 'started' event.
group_pid() {
        grep -E " started $1 " "$LOG" | tail -n 1 | sed -n 's/.* pid=\([0-9]*\).*/\1/p'
}

# Number of lines in the log so far: a mark for trace().
log_mark() { wc -l <"$LOG"; }

# trace MARK REGEX: "event node" of every event after line MARK whose
# "event node" matches REGEX, on one line separated by commas.
trace() {
        tail -n +"$(($1 + 1))" "$LOG" | awk '{ print $3 " " $4 }' | grep -E -- "$2" |
                paste -sd, -
}

# expect_trace MARK REGEX EXPECTED [SECONDS]: waits until the trace is as
# long as EXPECTED, then compares it.
expect_trace() {
        local want=$3 n
        n=$(printf '%s' "$want" | tr -cd , | wc -c)
        wait_until "${4:-10}" eval "[ \$(trace $1 '$2' | tr -cd , | wc -c) -ge $n ]" ||
                fail "trace too short: got '$(trace "$1" "$2")', want '$want'"
        [ "$(trace "$1" "$2")" = "$want" ] ||
                fail "trace: got '$(trace "$1" "$2")', want '$want'"
}

# typed_crosses B_CONTROL: what A's group "pub" publishes to
# orders.eu.new (restarted for it: type 1) reaches an `airsupctl
# subscribe` on B (B_CONTROL, its control socket) through both bridges,
# with its type.
typed_crosses() {
        "$AIRSUPCTL" -s "$1" --json subscribe 'orders.eu.>' -n 1 >typed.out 2>typed.err &
        echo $! >typed.pid
        wait_until 10 grep -q subscribed typed.err || fail "subscribe on B did not start"
        "$AIRSUPCTL" -s "$T/control" restart pub >/dev/null
        wait_until 30 eval '[ -s typed.out ]' || fail "airsupctl subscribe on B got nothing"
        grep -q '"subject":"orders.eu.new","from":"bridge","type":1,' typed.out || fail "on B: $(cat typed.out)"
}
