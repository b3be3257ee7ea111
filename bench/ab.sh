#!/usr/bin/env bash
# A/B of DiskDB builds with redis-benchmark: each run starts a fresh server
# from every binary in turn (alternating, RUNS rounds) on port 6390 and
# prints its requests per second and the server's CPU time per request
# (user + system from /proc/<pid>/stat). Compare medians; the machine is noisy.
#   bash bench/ab.sh bin/diskdb /tmp/diskdb-candidate
# Knobs: P (pipeline, 1), T (redis-benchmark -t, set), N (requests, 300000),
# RUNS (3), FSYNC (everysec), DIR (parent of the data directories, /tmp).
set -euo pipefail
P=${P:-1}; T=${T:-set}; N=${N:-300000}; RUNS=${RUNS:-3}; FSYNC=${FSYNC:-everysec}; DIR=${DIR:-/tmp}
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
for r in $(seq 1 "$RUNS"); do
	for b in "$@"; do
		d=$(mktemp -d "$DIR/ab.XXXX")
		"$b" --port 6390 --dir "$d" --fsync "$FSYNC" --loglevel warning >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 1 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
		c0=$(cpu "$pid")
		res=$(redis-benchmark -p 6390 -t "$T" -n "$N" -r 100000 -d 100 -c 50 -P "$P" -q 2>/dev/null | tr '\r' '\n' | grep -o "[0-9.]* requests per second" | tail -1)
		c1=$(cpu "$pid")
		us=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1e6 / t / n }')
		echo "run $r $b -P $P $T fsync=$FSYNC: $res, server CPU $us us/request"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		rm -rf "$d"
	done
done
