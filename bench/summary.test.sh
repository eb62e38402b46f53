#!/bin/sh
# bench/summary.test.sh: bench/summary.py on sample outputs, no bench run.
#
# Writes a few benches' outputs (a table line, then the JSON line) to a
# temporary folder, with a goal met, one not met, a key missing (restart
# without its p99 keys), a null (patterns without NATS), a -1 (reload's
# way of saying "did not run"), a JSON line that is not the last line,
# and benches with no output at all; then checks the table's verdicts
# and the summary's JSON line.  Run by make check-bench-summary.
set -eu

here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "summary.test: $*" >&2; exit 1; }

cat >"$tmp/restart.out" <<'EOF'
supervisor    samples   p50 us
{"bench":"restart","airsupd_p50_us":1000.0,"floor_p50_us":900.0,"ratio":1.11,"airsupd_cgroup_p50_us":1200.0,"cgroup_ratio":1.20}
EOF
cat >"$tmp/e2e.out" <<'EOF'
{"bench":"e2e","mps":20000000,"pipe_mps":2000000,"zmq_mps":3000000,"lane_mps":25000000,"rtt_p50_ns":700,"pipe_rtt_p50_ns":13000,"zmq_rtt_p50_ns":42000}
EOF
cat >"$tmp/patterns.out" <<'EOF'
{"bench":"patterns","req_rtt_p50_ns":1000,"req_rtt_p99_ns":1500,"plain_rtt_p50_ns":900,"zmq_req_rtt_p50_ns":64000,"pub1_mps":20000000,"pub10_delivered_mps":16000000,"zmq_pub10_delivered_mps":3500000,"nats_pub10_delivered_mps":null}
EOF
cat >"$tmp/soak.out" <<'EOF'
{"bench":"soak","kills":500,"sent":100,"received":100,"redelivered":0,"dead_letters":0,"lost":0,"corrupt":0}
goal: lost = 0 and corrupt = 0: met
EOF
cat >"$tmp/reload.out" <<'EOF'
{"bench":"reload","groups":1000,"reload_ms":-1.00,"restarted":0,"unchanged_ms":-1.00,"restart_one_ms":-1.00,"supervisord_ms":-1.00,"supervisord_restarted":0,"restarted_min":null}
EOF

python3 "$here/summary.py" "$tmp" >"$tmp/summary" || fail "exit status $?"

# One table row: bench, figure, then the verdict at the end of the line.
row() {
        grep -E "^$1 +$2 " "$tmp/summary" | grep -qE " $3\$" ||
                fail "expected '$1 $2 ... $3' in:
$(cat "$tmp/summary")"
}
row restart 'crash->restart p50 / clone3\+pidfd floor +1\.11x' met
row restart 'crash->restart p99 / floor p99' unknown
row restart 'p50, cgroup per instance' 'NOT met'
row e2e 'groups under airsupd / bare lane +0\.80x' 'NOT met'
row e2e 'groups under airsupd / pipe +10\.00x' met
row patterns 'request/reply p50 / plain round trip' met
row patterns 'ZeroMQ REQ/REP p50 / request p50 +64\.00x' met
row patterns '10 subscribers / NATS +-' unknown
row soak 'lost under kills' met
row reload 'processes restarted, most in a round' 'NOT met'
row reload 'processes restarted, fewest in a round' unknown
row mailbox '64 B lane / dense floor ring' unknown
grep -q '^(no JSON line from: scale, mailbox, ctl, actors, nats, probe)$' "$tmp/summary" ||
        fail "missing benches not named"

# The JSON line: last, with every goal's key, null where unknown.
last=$(tail -n 1 "$tmp/summary")
python3 - "$last" <<'EOF' || fail "bad summary line: $last"
import json, sys
d = json.loads(sys.argv[1])
assert d["bench"] == "summary"
assert list(d)[0] == "bench" and list(d)[-3:] == ["met", "not_met", "unknown"]
assert d["restart_p50_vs_floor"] == 1.111, d["restart_p50_vs_floor"]
assert d["restart_p99_vs_floor"] is None
assert d["restart_cgroup_vs_pgroups"] == 1.2
assert d["e2e_vs_lane"] == 0.8
assert d["patterns_pub10_vs_nats"] is None
assert d["soak_lost"] == 0 and isinstance(d["soak_lost"], int)
assert d["reload_restarted_max"] == 0 and d["reload_restarted_min"] is None
assert d["mailbox_lane_1k_vs_floor"] is None
assert "scale_rss_kb_per_group" not in d          # only above 1000 groups
# restart 1 met; e2e vs_pipe, vs_zmq; patterns req_vs_plain, req_vs_zmq,
# pub10_vs_zmq; soak lost, corrupt: 8 met.  restart cgroup, e2e vs_lane,
# reload max: 3 not met.
assert (d["met"], d["not_met"]) == (8, 3), (d["met"], d["not_met"])
assert d["met"] + d["not_met"] + d["unknown"] == len(d) - 4
EOF

# An empty folder: everything unknown, still exit 0.
mkdir "$tmp/empty"
python3 "$here/summary.py" "$tmp/empty" | tail -n 1 | grep -q '"met":0,"not_met":0,"unknown":' ||
        fail "empty folder"
# A usage error is one.
if python3 "$here/summary.py" 2>/dev/null; then fail "no argument accepted"; fi
echo "summary.test: ok"
