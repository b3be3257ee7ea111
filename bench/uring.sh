#!/usr/bin/env bash
# Side-by-side figures for the network backends: diskdb --io uring, diskdb
# --io epoll and redis-server with AOF everysec, driven by redis-benchmark
# -c 50 at -P 1 and -P 16 (SET, GET), runs alternated A/B/C round by round;
# prints each run, then median rates and the median of the within-round
# ratios.
#
#   bench/uring.sh [rounds]          (default 5; DISKDB=path to the binary,
#                                     EXTRA="--loops 1" more diskdb flags,
#                                     RESULTS=file keeps every run)
#
# The machine may be shared: alternating and taking medians evens out other
# load; the load average is printed with the figures.
set -euo pipefail

ROUNDS=${1:-5}
DISKDB=${DISKDB:-bin/diskdb}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-100000}
N1=${N1:-100000}   # requests per -P 1 run
N16=${N16:-1000000} # requests per -P 16 run
PORT0=${PORT0:-17400}
EXTRA=${EXTRA:-}    # more diskdb flags, e.g. "--loops 1"

work=$(mktemp -d /tmp/diskdb-bench-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

start() { # name port cmd...
	local name=$1 port=$2; shift 2
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "$name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}

names=(uring epoll redis)
ports=($PORT0 $((PORT0 + 1)) $((PORT0 + 2)))
# shellcheck disable=SC2086
start uring "${ports[0]}" "$DISKDB" --port "${ports[0]}" --dir "$work/uring" --io uring --loglevel warning $EXTRA
# shellcheck disable=SC2086
start epoll "${ports[1]}" "$DISKDB" --port "${ports[1]}" --dir "$work/epoll" --io epoll --loglevel warning $EXTRA
start redis "${ports[2]}" redis-server --port "${ports[2]}" --dir "$work" --save "" --appendonly yes --appendfsync everysec --loglevel warning
redis-cli -p "${ports[0]}" info server | grep -q 'io_backend:io_uring' || { echo "uring server is not on io_uring" >&2; exit 1; }

results=${RESULTS:-$work/results}
: >"$results"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for p in 1 16; do
		n=$N1; [ "$p" = 16 ] && n=$N16
		for t in set get; do
			# Rotate the order each round so no server always runs first.
			for k in 0 1 2; do
				i=$(((k + r) % 3))
				rps=$(redis-benchmark -p "${ports[$i]}" -c "$CLIENTS" -P "$p" -n "$n" -r "$KEYS" -t "$t" --csv 2>/dev/null |
					awk -F'","' 'NR==2 {print $2}')
				echo "round $r ${names[$i]} ${t^^} P$p $rps" | tee -a "$results"
			done
		done
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$results" <<'PY'
import sys, statistics
from collections import defaultdict
runs = defaultdict(list)
rounds = defaultdict(dict)
for line in open(sys.argv[1]):
    _, r, name, test, p, rps = line.split()
    if not rps.replace(".", "").isdigit():
        continue
    runs[(name, test, p)].append(float(rps))
    rounds[(test, p, r)][name] = float(rps)
cols = [("SET", "P1"), ("GET", "P1"), ("SET", "P16"), ("GET", "P16")]
print("median rps                 " + "".join(f"{t+' '+p:>14}" for t, p in cols))
for name in ("uring", "epoll", "redis"):
    print(f"{name:<27}" + "".join(f"{statistics.median(runs[(name,t,p)]):>14,.0f}" for t, p in cols))
# Ratios: the median over rounds of the ratio within a round, whose runs
# are adjacent in time, so slow swings of the machine's load cancel out.
def ratio(a, b):
    out = ""
    for t, p in cols:
        rs = [v[a] / v[b] for (tt, pp, _), v in rounds.items() if (tt, pp) == (t, p) and a in v and b in v]
        out += f"{statistics.median(rs):>14.2f}"
    return out
print(f"{'uring / redis':<27}" + ratio("uring", "redis"))
print(f"{'epoll / redis':<27}" + ratio("epoll", "redis"))
print(f"{'uring / epoll':<27}" + ratio("uring", "epoll"))
PY
