# make install puts libairsup, its header, its pkg-config file and airsup(3)
# under PREFIX; a program outside the tree builds against the installed
# copy with pkg-config and talks through airsupd.  What is installed names
# the paths of the installation it is part of (PREFIX=/usr: a unit that
# runs /usr/sbin/airsupd), a sample configuration is installed once and
# never over the operator's, and airsupd without -c reads it.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

san=
case "$BUILD" in *asan*) san=1 ;; esac
# install_to ROOT [VAR=VALUE...]
install_to() {
        local root=$1
        shift
        make -s -C "$SRC" install SAN="$san" BUILD="$BUILD" DESTDIR="$root" "$@" >install.log 2>&1 ||
                fail "make install $*: $(tail -5 install.log)"
}

root=$T/root
install_to "$root" PREFIX=/usr/local
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

# The version: airsupd's is the one pkg-config gives.
v=$(pkg-config --modversion airsup)
[ "$("$root/usr/local/sbin/airsupd" --version)" = "airsupd $v" ] ||
        fail "airsupd --version says '$("$root/usr/local/sbin/airsupd" --version)', pkg-config $v"

# PREFIX=/usr, as a distribution builds: nothing installed names /usr/local.
usr=$T/usr-root
install_to "$usr" PREFIX=/usr
unit=$usr/usr/lib/systemd/system/airsupd.service
[ -f "$unit" ] || fail "no unit at /usr/lib/systemd/system/airsupd.service"
grep -n '/usr/local' "$unit" "$usr/usr/share/man/man1/airsupctl.1" "$usr/usr/share/man/man8/airsupd.8" \
        "$usr/usr/lib/pkgconfig/airsup.pc" >local.txt && fail "PREFIX=/usr installed /usr/local paths: $(cat local.txt)"
grep -qx 'ExecStart=/usr/sbin/airsupd -c /etc/airsup/airsup.conf' "$unit" || fail "ExecStart: $(grep ExecStart= "$unit")"
grep -qx 'ExecReload=/usr/bin/airsupctl reload' "$unit" || fail "ExecReload: $(grep ExecReload= "$unit")"
# Every command the unit runs is there, executable, in the installed tree.
for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\([^ ]*\).*/\1/p' "$unit"); do
        [ -x "$usr$cmd" ] || fail "the unit runs $cmd, which make install did not install"
done
grep -q '/usr/share/bash-completion/completions/airsupctl' "$usr/usr/share/man/man1/airsupctl.1" ||
        fail "airsupctl(1) FILES does not name the installed completion"
[ -f "$usr/usr/share/bash-completion/completions/airsupctl" ] || fail "no completion installed"
# systemd's own check, in the installed tree (with the targets a service
# depends on by default copied in: the tree has no systemd of its own).
if command -v systemd-analyze >/dev/null && systemd-analyze verify --help 2>&1 | grep -q -- '--root'; then
        for u in sysinit.target basic.target shutdown.target multi-user.target network.target; do
                [ -f "/usr/lib/systemd/system/$u" ] && cp "/usr/lib/systemd/system/$u" "$usr/usr/lib/systemd/system/"
        done
        systemd-analyze verify --man=no --root="$usr" /usr/lib/systemd/system/airsupd.service >verify.log 2>&1 ||
                fail "systemd-analyze verify: $(cat verify.log)"
else
        echo "systemd-analyze verify --root not here: the unit's paths were checked textually"
fi

# SYSCONFDIR moves the unit's -c and airsupd's default (made, not
# installed: this build's airsupd keeps its own default).
make -s -C "$SRC" BUILD="$T/b" PREFIX=/opt/airsup SYSCONFDIR=/opt/airsup/etc "$T/b/install/config/airsupd.service" >gen.log 2>&1 ||
        fail "making the unit for SYSCONFDIR=/opt/airsup/etc: $(cat gen.log)"
grep -qx 'ExecStart=/opt/airsup/sbin/airsupd -c /opt/airsup/etc/airsup/airsup.conf' "$T/b/install/config/airsupd.service" ||
        fail "SYSCONFDIR=/opt/airsup/etc: $(grep ExecStart= "$T/b/install/config/airsupd.service")"
make -s -n -C "$SRC" BUILD="$BUILD" SAN="$san" SYSCONFDIR=/opt/airsup/etc "$BUILD/supervisor/airsupd.o" -W supervisor/airsupd.c >n.log 2>&1
grep -q 'DAIRSUP_CONFIG=\\"/opt/airsup/etc/airsup/airsup.conf\\"' n.log || fail "airsupd's default -c does not follow SYSCONFDIR: $(grep airsupd.c n.log)"

# The sample: installed where there was none, good as it is (an empty
# tree), and never over the operator's own file.
conf=$usr/etc/airsup/airsup.conf
[ -f "$conf" ] || fail "no sample /etc/airsup/airsup.conf installed"
grep -q '^; \[group:' "$conf" || fail "the sample has no commented group"
"$usr/usr/sbin/airsupd" --check -c "$conf" >check.out 2>&1 || fail "the sample does not pass --check: $(cat check.out)"
cmp -s "$conf" "$usr/usr/share/doc/airsup/airsup.conf.sample" || fail "the sample is not also in the docs"
printf '[group:mine]\ncommand = sleep 1000\n' >"$conf"
install_to "$usr" PREFIX=/usr
[ "$(cat "$conf")" = "$(printf '[group:mine]\ncommand = sleep 1000')" ] || fail "a second make install overwrote the operator's configuration"
grep -q 'airsup.conf kept' install.log || fail "make install did not say it kept the configuration"

# Without -c airsupd reads the default (this machine's /etc: only --check,
# which changes nothing, and only the name it reports is compared).
out=$("$AIRSUPD" --check 2>&1)
case $out in *"/etc/airsup/airsup.conf"*) ;; *) fail "airsupd --check without -c: $out" ;; esac
"$AIRSUPD" --help | grep -q 'default /etc/airsup/airsup.conf' || fail "--help does not name the default -c"
exit 0
