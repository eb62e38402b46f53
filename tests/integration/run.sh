#!/bin/sh
# run.sh [test-NAME ...] - runs every integration test (or those named) as
# its own process with a time limit, each whatever became of those before,
# and prints "N passed, N failed, N skipped" and which failed.  A test
# exits 77 to say it cannot run here (it prints why); anything else
# non-zero is a failure.
: "${BUILD:=build}"
export BUILD
dir=$(dirname "$0")
pass=0
skipped=0
failed=0
names=
if [ $# -eq 0 ]; then
        set -- "$dir"/test-*.sh
fi
for t in "$@"; do
        name=$(basename "$t" .sh)
        t=$dir/$name.sh
        if [ ! -f "$t" ]; then
                failed=$((failed + 1))
                names="$names $name"
                echo "FAIL $name: no $t"
                continue
        fi
        out=$(mktemp)
        timeout -k 5 120 bash "$t" >"$out" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then
                pass=$((pass + 1))
                echo "ok   $name"
        elif [ $rc -eq 77 ]; then
                skipped=$((skipped + 1))
                echo "skip $name: $(tail -n 1 "$out")"
        else
                failed=$((failed + 1))
                names="$names $name"
                echo "FAIL $name"
                sed 's/^/    /' "$out"
        fi
        rm -f "$out"
done
echo "($BUILD)"
echo "integration: $pass passed, $failed failed, $skipped skipped${names:+; failed:$names}"
[ "$failed" -eq 0 ]
