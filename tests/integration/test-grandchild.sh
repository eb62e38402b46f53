# A child's whole process group goes with it: on stop, and after the child's
# own crash before it is restarted (so a leftover worker never races the
# new incarnation).  Run without and with --subreaper.
. "$(dirname "$0")/lib.sh"

# Incarnation 1 leaves a worker behind and crashes; incarnation 2 checks
# that no worker of its predecessor is still alive when it starts.
cat >airsup.conf <<'CONF'
[supervisor:root]
intensity = 10
[group:daemon]
command = sh -c 'if [ -f worker.pid ]; then
    s=$(sed -n "s/.*) \\(.\\) .*/\\1/p" /proc/$(cat worker.pid)/stat 2>/dev/null);
    echo "state:$s" > check; fi;
    sleep 1000 & echo $! > worker.pid;
    [ "$AIRSUP_INCARNATION" -eq 1 ] && exit 3; exec sleep 1000'
backoff = 0
shutdown = 2s
CONF

for mode in "" --subreaper; do
        rm -f worker.pid check
        start_airsupd airsup.conf $mode
        wait_log 'started daemon .*incarnation=2'
        wait_until 5 test -s check || fail "incarnation 2 did not check ($mode)"
        case $(cat check) in
        state:|state:Z|state:X) ;;
        *) fail "the old worker was still $(cat check) when the daemon restarted ($mode)" ;;
        esac
        log_has 'leftovers daemon' || fail "no leftovers event ($mode)"
        wait_until 5 test -s worker.pid || fail "no worker ($mode)"
        main=$(group_pid daemon)
        worker=$(cat worker.pid)
        alive "$worker" || fail "the new worker is not running ($mode)"

        kill -TERM "$AIRSUPD_PID"
        wait_airsupd_exit
        [ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS ($mode)"
        gone "$main" || fail "main process $main survived the stop ($mode)"
        gone "$worker" || fail "grandchild $worker survived the stop ($mode)"
        # Restarted main + killed worker, before airsupd exited.
        mv "$LOG" "$LOG.$mode.old"
done
