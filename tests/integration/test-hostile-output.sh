# stdout = file:PATH is opened by the child as the group's user: a group
# running as nobody that owns its log directory and swaps its log file
# for a symlink to a root-only file cannot have airsupd append there (the
# open fails with EACCES, as it would for nobody).  A FIFO with no reader
# as the output is a failed start (ENXIO), never a wait that freezes
# airsupd.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"
mkdir logs
chown nobody logs
echo "root only" >victim
chmod 644 victim
cat >airsup.conf <<CONF
[supervisor:root]
intensity = 3
[group:swapper]
command = sh -c 'echo hello; ln -sf $T/victim $T/logs/out.log.new; mv -f $T/logs/out.log.new $T/logs/out.log; exit 1'
user = nobody
stdout = file:$T/logs/out.log
backoff = 10ms
CONF
start_airsupd airsup.conf
wait_log 'start-failed swapper .*error=EACCES step=stdout'
[ "$(cat victim)" = "root only" ] || fail "the victim file was written: $(cat victim)"
[ -L logs/out.log ] || fail "the swap did not happen"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit
[ "$(cat victim)" = "root only" ] || fail "the victim file was written: $(cat victim)"

# A FIFO nobody reads.
mkfifo fifo
cat >fifo.conf <<CONF
[group:blocked]
command = sleep 1000
stdout = file:$T/fifo
backoff = 1s
[group:other]
command = sleep 1000
CONF
start_airsupd fifo.conf
wait_log 'start-failed blocked .*error=ENXIO step=stdout'
# The loop is alive: SIGTERM is acted on at once.
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 5
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# A FIFO with a reader works, and the child's writes block as usual.
cat fifo >fifo.out &
reader=$!
cat >fifo2.conf <<CONF
[group:writer]
command = sh -c 'echo through the fifo; exec sleep 1000'
stdout = file:$T/fifo
CONF
start_airsupd fifo2.conf
wait_until 5 grep -q 'through the fifo' fifo.out || fail "nothing came through the FIFO"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 5
wait "$reader"
