#!/bin/sh
# check.sh - runs tests so that one failure hides none of the others: each
# test runs whatever became of those before, and the end says which failed
# (and the exit status is 1).  The Makefile's check targets call it.
#
#   sh mk/check.sh unit BIN...   each cmocka binary
#   sh mk/check.sh fuzz NAME...  each replay-NAME over tests/fuzz/corpus/NAME
#                                and tests/fuzz/regress/NAME
#   sh mk/check.sh one TEST...   tests by name, built first with $MAKE:
#       test-X         tests/unit/test-X.c and tests/integration/test-X.sh,
#                      whichever exist (both, for test-cgroup)
#       unit/test-X, tests/unit/test-X.c                the unit binary only
#       integration/test-X, tests/integration/test-X.sh the script only
#       replay-X, fuzz-X, tests/fuzz/fuzz-X.c           the replay of X
#
# BUILD (build or build/asan) says which build; AIRSUP_TEST_CASE, a cmocka
# pattern (* and ?), runs only the unit cases it matches
# (tests/unit/case-filter.c).  "one" also needs FUZZERS and HELPERS, the
# Makefile's lists, and MAKE.
: "${BUILD:=build}"
export BUILD
top=$(dirname "$0")/..
passed=0
failed=
what=

usage() {
        echo "usage: $0 unit BIN... | fuzz NAME... | one TEST..." >&2
        exit 2
}

# One test: COMMAND...; its output goes through as it comes.
run() {
        label=$1
        shift
        echo "== $label"
        if "$@"; then
                passed=$((passed + 1))
        else
                echo "FAIL $label (exit $?)"
                failed="$failed $label"
        fi
}

run_unit() {
        for t in "$@"; do
                run "$(basename "$t")" "$t"
        done
}

run_fuzz() {
        for f in "$@"; do
                run "replay-$f" "$BUILD/fuzz/replay-$f" "$top/tests/fuzz/corpus/$f" "$top/tests/fuzz/regress/$f"
        done
}

summary() {
        n=$(echo $failed | wc -w)
        echo "$what ($BUILD): $passed passed, $n failed${failed:+:$failed}"
        [ -z "$failed" ]
}

# The unit binaries, integration scripts and fuzz targets TEST names, as
# "unit NAME", "integration NAME" and "fuzz NAME" lines.
resolve() {
        base=${1##*/}
        base=${base%.c}
        base=${base%.sh}
        case "$1" in
        unit/* | tests/unit/*) kinds=unit ;;
        integration/* | tests/integration/*) kinds=integration ;;
        replay-* | fuzz-* | */fuzz/*)
                kinds=fuzz
                base=${base#replay-}
                base=${base#fuzz-}
                ;;
        *) kinds="unit integration" ;;
        esac
        for k in $kinds; do
                case $k in
                unit) [ -f "$top/tests/unit/$base.c" ] && echo "unit $base" ;;
                integration) [ -f "$top/tests/integration/$base.sh" ] && echo "integration $base" ;;
                fuzz) case " $FUZZERS " in *" $base "*) echo "fuzz $base" ;; esac ;;
                esac
        done
}

one() {
        units= scripts= fuzzers= targets=
        for t in "$@"; do
                found=$(resolve "$t")
                if [ -z "$found" ]; then
                        echo "no test named $t: looked for tests/unit/$t.c, tests/integration/$t.sh and" \
                             "replay-NAME of FUZZERS ($FUZZERS)" >&2
                        exit 2
                fi
                # One "KIND NAME" per line, split on the blank.
                while read -r kind name; do
                        case $kind in
                        unit) units="$units $BUILD/tests/$name" targets="$targets $BUILD/tests/$name" ;;
                        integration) scripts="$scripts $name" targets="$targets all $HELPERS" ;;
                        fuzz) fuzzers="$fuzzers $name" targets="$targets $BUILD/fuzz/replay-$name" ;;
                        esac
                done <<EOF
$found
EOF
        done
        ${MAKE:-make} --no-print-directory $targets || exit 1
        run_unit $units
        run_fuzz $fuzzers
        if [ -n "$scripts" ]; then
                # The runner's time limit and output, its own summary line.
                run integration sh "$top/tests/integration/run.sh" $scripts
        fi
        summary
}

mode=$1
[ $# -ge 1 ] || usage
shift
case $mode in
unit) what=unit; run_unit "$@"; summary ;;
fuzz) what=fuzz; run_fuzz "$@"; summary ;;
one) [ $# -ge 1 ] || usage; what=tests; one "$@" ;;
*) usage ;;
esac
