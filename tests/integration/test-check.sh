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
