# The README's smallest actor program (between the readme-actors markers)
# compiles with the project's warnings against libairsup.a and runs: alone
# (it says hello and world and exits 0) and as a group under airsupd
# (attached, the same output, exit status 0).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

LIB=$(dirname "$AIRSUPD")/libairsup.a
SAN=
case $LIB in */asan/*) SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" ;; esac

sed -n '/<!-- readme-actors: begin -->/,/<!-- readme-actors: end -->/p' "$ROOT/README.md" |
        sed '1,/^```c$/d; /^```$/,$d' >hello.c
[ -s hello.c ] || fail "no program between the readme-actors markers in README.md"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu17 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wimplicit-fallthrough -Werror -O2 $SAN -I"$ROOT/child" -o hello hello.c "$LIB" 2>cc.err ||
        fail "the README's program does not compile: $(cat cc.err)"

./hello >alone.out 2>alone.err || fail "alone: exit $?: $(cat alone.err)"
[ "$(cat alone.out)" = "$(printf 'hello\nworld')" ] || fail "alone: printed '$(cat alone.out)'"

cat >hello.conf <<CONF
[group:hello]
command = $T/hello
restart = transient
stdout = file:$T/group.out
CONF
start_airsupd hello.conf
wait_log 'exited hello pid=[0-9]+ incarnation=1 status=0' 20
[ "$(cat group.out)" = "$(printf 'hello\nworld')" ] || fail "under airsupd: printed '$(cat group.out)'"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
[ "$AIRSUPD_STATUS" -eq 0 ] || fail "airsupd exited $AIRSUPD_STATUS"
exit 0
