# make install puts libairsup, its header, its pkg-config file and airsup(3)
# under PREFIX; a program outside the tree builds against the installed
# copy with pkg-config and talks through airsupd.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

root=$T/root
san=
case "$BUILD" in *asan*) san=1 ;; esac
make -s -C "$SRC" install SAN="$san" BUILD="$BUILD" DESTDIR="$root" PREFIX=/usr/local >install.log 2>&1 || fail "make install: $(tail -5 install.log)"
for f in include/airsup.h lib/libairsup.a lib/libairsup.so.0 lib/pkgconfig/airsup.pc share/man/man3/airsup.3 sbin/airsupd; do
        [ -e "$root/usr/local/$f" ] || fail "make install did not install $f"
done
export PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs airsup) || fail "pkg-config does not know airsup"
cc ${san:+-fsanitize=address,undefined} -o hello "$SRC/tests/integration/outside/hello.c" $flags 2>cc.log || fail "building against the installed library: $(cat cc.log)"
printf '[group:hello]\ncommand = env LD_LIBRARY_PATH=%s %s/hello %s/hello.txt\n' "$root/usr/local/lib" "$T" "$T" >hello.conf
start_airsupd hello.conf
wait_until 20 test -s hello.txt || fail "the outside program said nothing"
grep -q '^hello from hello$' hello.txt || fail "the outside program says: $(cat hello.txt)"
kill -TERM "$AIRSUPD_PID"
wait_airsupd_exit 20
