# stdout = log:PATH is opened and rotated by airsupd (root) in a directory
# the group's user (nobody) owns.  That user, as the attacker:
# - puts a FIFO where PATH was and non-empty directories at PATH.1 and
#   PATH.2 (log_keep = 2), so the
#   rotation cannot rename and a re-open would wait for a reader for ever;
#   then holds a reader on the FIFO, so an open would succeed;
# - swaps a directory of the path for a symbolic link to a root-owned
#   directory, so a re-open would append to root's file; then the file
#   itself for a link to it, and (as root, where fs.protected_hardlinks
#   is 0 nobody could) for a hard link to it;
# - keeps PATH.1 a non-empty directory while writing 20,000 lines, so
#   every rotation fails.
# airsupd must keep answering `airsupctl status` within 2 s, never write
# through the link, say why in a few warnings (not one a line), keep the
# file within log_max, and say in the file what it dropped or discarded.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (a group running as nobody)"; exit 77; }
chmod 755 "$T"
mkdir logs rootonly
chown nobody logs
echo "root only" >rootonly/app.log
chmod 644 rootonly/app.log
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
ctl() { "$AIRSUPCTL" -s "$T/control" "$@"; }
# The loop is alive: a status call is answered within 2 s.
answers() { timeout -k 1 2 "$AIRSUPCTL" -s "$T/control" status >/dev/null || fail "airsupctl status got no answer within 2 s ($1)"; }

as_nobody mkdir logs/sub
# The attackers, as the groups' own processes (nobody).
cat >fifo.sh <<SH
cd $T/logs || exit 1
for i in \$(seq 1 20); do echo "before \$i"; done
rm -f fifo.log && mkfifo fifo.log && mkdir -p fifo.log.1/full fifo.log.2/full || exit 1
for i in \$(seq 1 300); do echo "after \$i: 0123456789012345678901234567890123456789"; done
touch fifo.done
exec sleep 1000
SH
cat >flood.sh <<SH
cd $T/logs || exit 1
mkdir -p flood.log.1/full && touch flood.ready || exit 1
while [ ! -e flood.go ]; do sleep 0.01; done
seq -f "flood line %05g ................................................" 1 20000
touch flood.done
exec sleep 1000
SH
chmod 644 fifo.sh flood.sh
cat >airsup.conf <<CONF
[group:fifo]
user = nobody
command = sh $T/fifo.sh
stdout = log:$T/logs/fifo.log
log_max = 4096
log_keep = 2
[group:climber]
user = nobody
command = sh -c 'while :; do echo tick; sleep 0.05; done'
stdout = log:$T/logs/sub/app.log
ready = 100ms
[group:flood]
user = nobody
command = sh $T/flood.sh
stdout = log:$T/logs/flood.log
log_max = 8192
log_keep = 1
CONF
start_airsupd airsup.conf
wait_log 'ready climber'
wait_until 10 test -e logs/fifo.done || fail "the fifo group did not get through its lines"
answers "after the FIFO and the directory were planted"
wait_log 'fifo: .*/logs/fifo.log: the log could not be rotated \(Is a directory\)'
[ -p logs/fifo.log ] || fail "the FIFO is gone"

# SIGUSR1 re-opens every log: the FIFO without a reader, then with one.
kill -USR1 "$AIRSUPD_PID"
wait_log 'fifo: cannot open its log .*/logs/fifo.log: a FIFO or socket, not a regular file'
answers "after a re-open of a FIFO without a reader"
# airsupctl logs reads no FIFO either (an open would wait for a writer).
timeout 5 "$AIRSUPCTL" -s "$T/control" logs fifo >/dev/null 2>&1
[ $? -eq 124 ] && fail "airsupctl logs waited on the FIFO"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh -c "exec sleep 1000 <>logs/fifo.log" &
echo $! >reader.pid
wait_until 5 eval '[ -n "$(ls -l /proc/$(cat reader.pid)/fd 2>/dev/null | grep fifo.log)" ]' ||
        fail "the FIFO reader did not start"
n=$(log_count 'fifo: cannot open its log')
kill -USR1 "$AIRSUPD_PID"
wait_log_count 'fifo: cannot open its log .*a FIFO or socket, not a regular file' $((n + 1))
answers "after a re-open of a FIFO with a reader"

# A directory of the path swapped for a link to root's directory.
as_nobody sh -c "cd logs && mv sub sub.old && ln -s $T/rootonly sub"
n=$(log_count 'climber: cannot open its log')
kill -USR1 "$AIRSUPD_PID"
wait_log_count 'climber: cannot open its log .*/logs/sub/app.log: a symbolic link in its path, not followed' $((n + 1))
# Tried again a second later, refused again.
wait_log_count 'climber: cannot open its log .*/logs/sub/app.log: a symbolic link in its path' $((n + 2))
answers "after the link was planted"
[ "$(cat rootonly/app.log)" = "root only" ] || fail "airsupd wrote through the link: $(tail -n 2 rootonly/app.log)"
# The link goes; the next try opens the real file again and says what was dropped.
as_nobody sh -c "cd logs && rm sub && mv sub.old sub"
wait_until 10 grep -Eq 'airsupd: [0-9]+ lines dropped, the log could not be opened: a symbolic link in its path' \
        logs/sub/app.log || fail "no line saying what was dropped in app.log: $(tail -n 3 logs/sub/app.log)"
[ "$(cat rootonly/app.log)" = "root only" ] || fail "airsupd wrote through the link: $(tail -n 2 rootonly/app.log)"
# The file itself swapped for a link to root's file.
as_nobody sh -c "cd logs/sub && ln -s $T/rootonly/app.log app.log.new && mv -f app.log.new app.log"
n=$(log_count 'climber: cannot open its log')
kill -USR1 "$AIRSUPD_PID"
wait_log_count 'climber: cannot open its log .*/logs/sub/app.log: a symbolic link in its path, not followed' $((n + 1))
[ "$(cat rootonly/app.log)" = "root only" ] || fail "airsupd wrote through the link: $(tail -n 2 rootonly/app.log)"
# Nor does an operator's airsupctl logs read root's file through it.
timeout 5 "$AIRSUPCTL" -s "$T/control" logs climber 2>&1 | grep -q 'root only' &&
        fail "airsupctl logs read root's file through the link"
# A hard link to root's file (nobody cannot make one where
# fs.protected_hardlinks = 1; root plays it here, as where it is 0).
ln -f rootonly/app.log logs/sub/app.log
n=$(log_count 'climber: cannot open its log')
kill -USR1 "$AIRSUPD_PID"
wait_log_count 'climber: cannot open its log .*/logs/sub/app.log: a regular file with other hard links, refused' $((n + 1))
[ "$(cat rootonly/app.log)" = "root only" ] || fail "airsupd wrote into a hard link: $(tail -n 2 rootonly/app.log)"
rm logs/sub/app.log

# 20,000 lines while every rotation fails: a few warnings, the file bounded.
wait_until 10 test -e logs/flood.ready || fail "the flood group did not start"
mark=$(log_mark)
touch logs/flood.go
max=0
while [ ! -e logs/flood.done ]; do
        size=$(stat -c %s logs/flood.log)
        [ "$size" -gt "$max" ] && max=$size
        answers "during the flood"
done
wait_until 10 grep -q 'flood line 20000' logs/flood.log || fail "the last line is not in flood.log"
warnings=$(tail -n +"$((mark + 1))" "$LOG" | grep -c 'flood')
echo "flood: $warnings warnings for 20000 lines, flood.log at most $max bytes (log_max 8192)"
[ "$warnings" -ge 1 ] || fail "no warning about the failed rotation"
[ "$warnings" -le 20 ] || fail "$warnings warnings for 20000 lines"
# A line is at most 93 bytes; airsupd's own line about the loss ~150.
[ "$max" -le $((8192 + 250)) ] || fail "flood.log grew to $max bytes, past log_max"
[ "$(stat -c %s logs/flood.log)" -le $((8192 + 250)) ] || fail "flood.log is $(stat -c %s logs/flood.log) bytes"
grep -Eq 'airsupd: [0-9]+ bytes discarded, the log could not be rotated \(Is a directory\)' logs/flood.log ||
        fail "flood.log does not say what was discarded: $(head -n 2 logs/flood.log)"
[ -d logs/flood.log.1/full ] || fail "the planted directory moved"

kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 10
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
[ "$(cat rootonly/app.log)" = "root only" ] || fail "airsupd wrote through the link: $(tail -n 2 rootonly/app.log)"
kill "$(cat reader.pid)" 2>/dev/null
exit 0
