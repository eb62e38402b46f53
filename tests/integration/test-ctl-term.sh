# airsupctl at a terminal: states in colour and long output through a
# pager ($AIRSUP_PAGER); neither with NO_COLOR (colours), --no-pager,
# --json, or in a pipe.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || { echo "no script(1) to give airsupctl a terminal"; exit 77; }
# at_tty COMMAND...: run with a terminal as stdout, its output in tty.out.
at_tty() {
        script -qec "$*" /dev/null </dev/null >tty.out 2>&1
}
esc=$(printf '\033')

cat >term.conf <<'CONF'
[group:web]
command = sleep 1000
[group:down]
command = sleep 1000
CONF
start_airsupd term.conf
wait_log 'ready root'
ctl="$AIRSUPCTL -s $T/control"
$ctl stop down || fail "stop down failed"

export AIRSUP_PAGER='sed s/^/paged:/'
unset NO_COLOR
at_tty "$ctl status"
grep -q "^paged:web  *${esc}\[32mready${esc}\[0m " tty.out || fail "status at a terminal: no colour or no pager: $(cat -v tty.out)"
grep -q "${esc}\[90mstopped" tty.out || fail "a stopped group is not grey: $(cat -v tty.out)"
at_tty "$ctl tree"
grep -q "^paged:  web \[permanent\] ${esc}\[32mup" tty.out || fail "tree at a terminal: $(cat -v tty.out)"
at_tty "$ctl events -n 3"
grep -q '^paged:' tty.out || fail "events at a terminal: no pager: $(cat -v tty.out)"
at_tty "NO_COLOR=1 $ctl status"
grep -q "$esc" tty.out && fail "NO_COLOR: colours: $(cat -v tty.out)"
grep -q '^paged:web ' tty.out || fail "NO_COLOR: no pager: $(cat -v tty.out)"
at_tty "$ctl status --no-pager"
grep -q '^paged:' tty.out && fail "--no-pager paged: $(cat -v tty.out)"
grep -q "${esc}\[32mready" tty.out || fail "--no-pager lost the colours: $(cat -v tty.out)"
at_tty "$ctl --json status"
grep -q "$esc\|^paged:" tty.out && fail "--json at a terminal: $(cat -v tty.out)"
$ctl status >pipe.out
grep -q "$esc\|^paged:" pipe.out && fail "status in a pipe: $(cat -v pipe.out)"
$ctl start down
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
exit 0
