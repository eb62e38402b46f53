#!/bin/sh
# run.sh - runs every integration test as its own process with a time limit
# and prints "N passed, N failed".
: "${BUILD:=build}"
export BUILD
dir=$(dirname "$0")
pass=0
failed=0
names=
for t in "$dir"/test-*.sh; do
        name=$(basename "$t" .sh)
        out=$(mktemp)
        if timeout -k 5 120 bash "$t" >"$out" 2>&1; then
                pass=$((pass + 1))
                echo "ok   $name"
        else
                failed=$((failed + 1))
                names="$names $name"
                echo "FAIL $name"
                sed 's/^/    /' "$out"
        fi
        rm -f "$out"
done
echo "($BUILD)"
echo "integration: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
