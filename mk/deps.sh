#!/bin/sh
# deps.sh [build|test|bench|fuzz] - makes sure the Debian packages airsup needs
# are installed.  As root it installs what is missing with apt-get; as
# anyone else it prints the exact apt-get line and fails.
set -eu

build="libsystemd-dev libbsd-dev libjson-c-dev libmicrohttpd-dev libnats-dev pkg-config gcc make"
test="$build libcmocka-dev mandoc procps util-linux systemd redis-server python3 prometheus curl nats-server"
fuzz="$test clang libclang-rt-14-dev"
bench="$test runit s6 supervisor libzmq3-dev erlang-base libcaf-dev g++"

case "${1:-build}" in
build) want=$build ;;
test)  want=$test ;;
bench) want=$bench ;;
fuzz)  want=$fuzz ;;
*) echo "usage: $0 [build|test|bench|fuzz]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
        s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$s" in
        *" installed") ;;
        *) missing="$missing $p" ;;
        esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
        echo "airsup needs these Debian packages:$missing" >&2
        echo "install them with:" >&2
        echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
        exit 1
fi

echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# The maintainer scripts of runit, supervisor and redis-server may try to
# start services; policy-rc.d keeps a package install from starting any.
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends $missing >&2
