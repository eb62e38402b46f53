# --check validates without starting anything; a bad file is FILE:LINE and 78.
. "$(dirname "$0")/lib.sh"

cat >good.conf <<'CONF'
[group:a]
command = sh -c 'touch started'
CONF
cat >bad.conf <<'CONF'
[group:a]
command = sh -c 'touch started'
backoff = soon
[group:b]
parent = nobody
command = /bin/true
CONF

out=$("$AIRSUPD" --check -c good.conf 2>&1) || fail "--check on a good file failed: $out"
[ "$out" = "good.conf: ok" ] || fail "unexpected --check output: $out"

"$AIRSUPD" --check -c bad.conf 2>err
st=$?
[ "$st" -eq 78 ] || fail "--check on a bad file exited $st, expected 78"
grep -q '^bad.conf:3: backoff: invalid duration' err || fail "missing bad.conf:3 error: $(cat err)"
grep -q '^bad.conf:5: parent: no supervisor called' err || fail "missing bad.conf:5 error: $(cat err)"

# Without --check, a bad file starts nothing and exits 78 too.
"$AIRSUPD" -c bad.conf --log=stderr 2>/dev/null
st=$?
[ "$st" -eq 78 ] || fail "airsupd on a bad file exited $st, expected 78"
[ ! -e started ] || fail "a child was started from a bad file"

"$AIRSUPD" --check -c /nonexistent.conf 2>/dev/null
[ $? -eq 78 ] || fail "a missing file is not EX_CONFIG"
"$AIRSUPD" --help | grep -q -- '--subreaper' || fail "--help does not describe --subreaper"
"$AIRSUPD" --bogus 2>/dev/null
[ $? -eq 2 ] || fail "an unknown option is not a usage error"
true

# --check also checks what it can without starting anything: commands and
# probes (errors), workdirs and output directories (warnings when missing,
# errors when there but unusable), as the group's user would see them.
mkdir -p bin locked
printf '#!/bin/sh\nexit 0\n' >bin/tool
chmod 755 bin/tool
printf '#!/bin/sh\nexit 0\n' >noexec
chmod 644 noexec
chmod 700 locked
cat >deep.conf <<CONF
[group:missing]
command = /nonexistent/program --flag
[group:inpath]
command = tool
environment = PATH=$T/bin
[group:notinpath]
command = no-such-tool-anywhere
[group:noexec]
command = $T/noexec
[group:probe]
command = /bin/true
health = exec:/nonexistent/probe
[group:nodir]
command = /bin/true
workdir = /nonexistent/dir
[group:logdir]
command = /bin/true
stdout = file:/nonexistent/dir/out.log
[group:locked]
command = /bin/true
user = nobody
stdout = file:$T/locked/out.log
CONF
"$AIRSUPD" --check -c deep.conf 2>deep.err
st=$?
[ "$st" -eq 78 ] || fail "--check of missing programs exited $st: $(cat deep.err)"
grep -q "^deep.conf:2: command: '/nonexistent/program' does not exist" deep.err || fail "no error for a missing command: $(cat deep.err)"
grep -q "inpath\|deep.conf:4:" deep.err && fail "a command in the group's own PATH was not found: $(cat deep.err)"
grep -q "^deep.conf:7: command: 'no-such-tool-anywhere' is not an executable in PATH=" deep.err || fail "no error for a command not in PATH: $(cat deep.err)"
grep -q "^deep.conf:9: command: '$T/noexec' is not executable" deep.err || fail "no error for a non-executable command: $(cat deep.err)"
grep -q "^deep.conf:12: health: '/nonexistent/probe' does not exist" deep.err || fail "no error for a missing probe: $(cat deep.err)"
grep -q "^deep.conf:15: warning: workdir: '/nonexistent/dir' does not exist (yet)" deep.err || fail "no warning for a missing workdir: $(cat deep.err)"
grep -q "^deep.conf:18: warning: stdout: the directory '/nonexistent/dir' does not exist (yet)" deep.err || fail "no warning for a missing log directory: $(cat deep.err)"
grep -q "^deep.conf:22: stdout: cannot create '$T/locked/out.log': '$T/locked' is not writable by nobody" deep.err || fail "no error for a log directory the user cannot write: $(cat deep.err)"

# Warnings alone: the file is good.
printf '[group:a]\ncommand = /bin/true\nworkdir = /nonexistent/later\n' >warn.conf
out=$("$AIRSUPD" --check -c warn.conf 2>warn.err) || fail "--check failed on warnings only: $(cat warn.err)"
[ "$out" = "warn.conf: ok, 1 warning" ] || fail "unexpected --check output: $out"

# Subscriptions: NATS subject patterns, each bad one named at its line.
cat >sub.conf <<'CONF'
[group:a]
command = /bin/true
instances = 2
subscribe = orders.* billing.>
  audit.>
subscribe_all = yes
CONF
out=$("$AIRSUPD" --check -c sub.conf 2>&1) || fail "--check of good subscriptions failed: $out"
[ "$out" = "sub.conf: ok" ] || fail "unexpected --check output: $out"
cat >badsub.conf <<'CONF'
[group:a]
command = /bin/true
subscribe = orders.* billing..eu
[group:b]
command = /bin/true
subscribe = a.>.b
subscribe_all = sometimes
CONF
"$AIRSUPD" --check -c badsub.conf 2>badsub.err
st=$?
[ "$st" -eq 78 ] || fail "--check of bad subscriptions exited $st: $(cat badsub.err)"
grep -q "^badsub.conf:3: subscribe: invalid subject pattern 'billing..eu'" badsub.err || fail "no error for an empty token: $(cat badsub.err)"
grep -q "^badsub.conf:6: subscribe: invalid subject pattern 'a.>.b'" badsub.err || fail "no error for '>' inside: $(cat badsub.err)"
grep -q "^badsub.conf:7: subscribe_all: expected yes or no, got 'sometimes'" badsub.err || fail "no error for subscribe_all: $(cat badsub.err)"
# "airsupctl" is the sender name of airsupctl's messages: no node may be it.
printf '[group:airsupctl]\ncommand = true\n' >ctlname.conf
"$AIRSUPD" --check -c ctlname.conf 2>ctlname.err
st=$?
[ "$st" -eq 78 ] || fail "--check of a group named airsupctl exited $st"
grep -q "^ctlname.conf:1: 'airsupctl' is the sender name of airsupctl's messages" ctlname.err ||
        fail "no error for a group named airsupctl: $(cat ctlname.err)"
true
