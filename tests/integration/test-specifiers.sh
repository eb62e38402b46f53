# %i, %n, %g and %% in a pool's command, environment, workdir and output
# paths: each instance gets its own port, file and directory, so that a
# pool of servers can run at all (the README's example did not).
. "$(dirname "$0")/lib.sh"

cat >serve.py <<'PY'
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", sys.argv[1], os.environ["WHO"], os.environ["PCT"], os.getcwd(), flush=True)
time.sleep(1000)
PY
mkdir -p dir.0 dir.1 dir.2
base=$((2000 + $$ % 4000))      # ports ${base}0 .. ${base}2
cat >spec.conf <<CONF
[group:web]
command = python3 $T/serve.py ${base}%i
instances = 3
environment = WHO=%n/%g PCT=100%%
workdir = $T/dir.%i
stdout = file:$T/out.%i.log
CONF

start_airsupd spec.conf
wait_log 'ready root'
for i in 0 1 2; do
        wait_until 10 test -s "out.$i.log" || fail "web[$i] wrote nothing to out.$i.log"
        expect="listening ${base}$i web[$i]/web 100% $T/dir.$i"
        [ "$(cat "out.$i.log")" = "$expect" ] || fail "web[$i] said '$(cat "out.$i.log")', expected '$expect'"
done
log_has 'exited web' && fail "an instance exited (a port taken twice?)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"

# An unknown specifier is a FILE:LINE error.
printf '[group:a]\ncommand = date +%%s\n' >bad.conf
if "$AIRSUPD" --check -c bad.conf 2>bad.err; then
        fail "--check accepted an unknown specifier"
fi
grep -q "bad.conf:2: command: unknown specifier '%s'" bad.err || fail "unexpected error: $(cat bad.err)"
