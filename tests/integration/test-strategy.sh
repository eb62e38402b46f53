# Each strategy with three children where the middle one crashes: the
# events that follow, and their order, are what OTP's supervisor does.
#   one_for_one:  b alone is restarted
#   one_for_all:  c then a are stopped (reverse order), then a, b, c start
#   rest_for_one: c is stopped, then b, c start; a is untouched
# Then SIGTERM stops c, b, a in that order.
. "$(dirname "$0")/lib.sh"

EV='^(exited|stopping|stopped|started|ready) [abc]$'

run_strategy() {
        local strategy=$1 want=$2 mark a_pid c_pid
        cat >"$strategy.conf" <<CONF
[supervisor:root]
strategy = $strategy
[group:a]
command = sleep 1000
[group:b]
command = sleep 1000
backoff = 0
[group:c]
command = sleep 1000
CONF
        start_airsupd "$strategy.conf"
        expect_trace 0 "$EV" 'started a,ready a,started b,ready b,started c,ready c'
        a_pid=$(group_pid a)
        c_pid=$(group_pid c)
        mark=$(log_mark)
        kill -KILL "$(group_pid b)"
        expect_trace "$mark" "$EV" "$want"
        case $strategy in
        one_for_one)
                alive "$a_pid" || fail "$strategy: a was stopped"
                alive "$c_pid" || fail "$strategy: c was stopped" ;;
        one_for_all)
                gone "$a_pid" || fail "$strategy: old a still runs"
                gone "$c_pid" || fail "$strategy: old c still runs" ;;
        rest_for_one)
                alive "$a_pid" || fail "$strategy: a was stopped"
                gone "$c_pid" || fail "$strategy: old c still runs" ;;
        esac
        mark=$(log_mark)
        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "$strategy: airsupd exited $AIRSUPD_STATUS"
        [ "$(trace "$mark" '^stopping ')" = 'stopping c,stopping b,stopping a' ] ||
                fail "$strategy: stop order $(trace "$mark" '^stopping ')"
}

run_strategy one_for_one 'exited b,started b,ready b'
run_strategy one_for_all \
        'exited b,stopping c,exited c,stopped c,stopping a,exited a,stopped a,started a,ready a,started b,ready b,started c,ready c'
run_strategy rest_for_one 'exited b,stopping c,exited c,stopped c,started b,ready b,started c,ready c'
