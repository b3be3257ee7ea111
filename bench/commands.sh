#!/usr/bin/env bash
# Side-by-side throughput of single commands that the load generator has no
# workload for, measured with redis-benchmark's custom-command mode against
# DiskDB (--fsync everysec) and redis-server (AOF everysec) started here.
#
#   bench/commands.sh [bin/diskdb]        (make bench-commands)
#
# Environment: RUNS (alternating A/B runs per row, default 3), N (requests
# per run, default 200000), DIR (data directories; default a temp dir on
# the disk, never tmpfs for fsync figures). Every run starts from the same
# state: FLUSHALL, then the row's setup, on both servers. Output: one
# markdown row per test with the medians and the ratio DiskDB/Redis.
set -euo pipefail
set -f # commands hold * (XADD ids), not globs

BIN=${1:-bin/diskdb}
RUNS=${RUNS:-3}
N=${N:-200000}
DIR=${DIR:-$(mktemp -d "${TMPDIR:-/var/tmp}/diskdb-cmdbench.XXXXXX")}
RPORT=${RPORT:-7391}
DPORT=${DPORT:-7392}
mkdir -p "$DIR/redis" "$DIR/diskdb"

redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
	--dir "$DIR/redis" --daemonize no >"$DIR/redis.log" 2>&1 &
RPID=$!
"$BIN" --port "$DPORT" --dir "$DIR/diskdb" --fsync everysec >"$DIR/diskdb.log" 2>&1 &
DPID=$!
cleanup() {
	kill "$RPID" "$DPID" 2>/dev/null || true
	wait "$RPID" "$DPID" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
for p in "$RPORT" "$DPORT"; do
	for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

cli() { redis-cli -p "$1" "${@:2}" >/dev/null; }
# rps PORT P REQUESTS COMMAND...: requests per second from redis-benchmark's CSV.
rps() {
	local port=$1 p=$2 n=$3
	shift 3
	redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P "$p" -n "$n" -r 100000 --csv "$@" 2>/dev/null |
		tr -d '"' | awk -F, 'NR>1 {print int($(NF-6)); exit}' || true
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

SHA=$(redis-cli -p "$RPORT" script load "return redis.call('SET', KEYS[1], ARGV[1])")

# name | pipeline | setup | command. The setup is redis-cli commands
# separated by ';', "fill:CMD" (N requests of CMD by redis-benchmark, so a
# consuming command never runs dry), "fill1000:CMD" (1 000 of them) or
# "json" (one 1 KiB document).
# (redis-benchmark's __rand_int__ is 12 zero-padded digits: fine in keys and
# members, refused as a bit offset, so bit rows use a fixed offset.)
rows=(
	"SETBIT (offset 100 of a random key)|16||SETBIT bits:__rand_int__ 100 1"
	"GETBIT|16|fill:SETBIT bits:__rand_int__ 100 1|GETBIT bits:__rand_int__ 100"
	"PFADD|16||PFADD hll:__rand_int__ __rand_int__"
	"PFCOUNT|16|fill:PFADD hll __rand_int__|PFCOUNT hll"
	"GEOADD|16||GEOADD geo 13.361389 38.115556 member:__rand_int__"
	"GEOSEARCH 100 km, COUNT 10 (1 000 members)|16|fill1000:GEOADD geo 13.361389 38.115556 member:__rand_int__|GEOSEARCH geo FROMLONLAT 13.3 38.1 BYRADIUS 100 km ASC COUNT 10"
	"ZRANGE 0 9 (zset of 100 000)|16|fill:ZADD zs __rand_int__ member:__rand_int__|ZRANGE zs 0 9"
	"XADD|16||XADD stream:__rand_int__ * field value"
	"XRANGE COUNT 10|16|fill:XADD s * field __rand_int__|XRANGE s - + COUNT 10"
	"XREADGROUP COUNT 1|16|fill:XADD s * field __rand_int__;XGROUP CREATE s g 0|XREADGROUP GROUP g c COUNT 1 STREAMS s >"
	"EVALSHA (SET, 1 key)|1||EVALSHA $SHA 1 key:__rand_int__ value"
	"EVALSHA (SET, 1 key)|16||EVALSHA $SHA 1 key:__rand_int__ value"
	"JSON.SET 1 KiB|16||JSON.SET doc:__rand_int__ \$ JSONDOC"
	"JSON.GET \$.a|16|json|JSON.GET doc \$.a"
)

doc='{"a":"'$(head -c 980 /dev/zero | tr '\0' x)'","b":[1,2,3],"c":{"d":true}}'

setup() { # port setup
	local port=$1 spec=$2 part
	cli "$port" flushall
	cli "$port" script load "return redis.call('SET', KEYS[1], ARGV[1])"
	[ -z "$spec" ] && return
	if [ "$spec" = json ]; then
		redis-cli -p "$port" JSON.SET doc '$' "$doc" >/dev/null
		return
	fi
	IFS=';' read -ra parts <<<"$spec"
	for part in "${parts[@]}"; do
		if [[ $part == fill:* ]]; then
			# shellcheck disable=SC2086
			redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 64 -n "$N" -r 100000 ${part#fill:} >/dev/null 2>&1
		elif [[ $part == fill1000:* ]]; then
			# shellcheck disable=SC2086
			redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -P 64 -n 1000 -r 1000 ${part#fill1000:} >/dev/null 2>&1
		else
			# shellcheck disable=SC2086
			cli "$port" $part
		fi
	done
}

echo "bench/commands.sh $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), $(free -g | awk '/Mem:/ {print $2}') GiB, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis-benchmark -c 50 -n $N -r 100000, $RUNS alternating runs; DiskDB --fsync everysec vs redis-server --appendonly yes --appendfsync everysec"
echo
echo "| command | -P | DiskDB ops/s | Redis ops/s | DiskDB/Redis |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
	IFS='|' read -r name p spec cmd <<<"$row"
	if [[ $cmd == JSON.* ]] && ! redis-cli -p "$RPORT" command info json.set | grep -q json; then
		redis_has_json=no
	else
		redis_has_json=yes
	fi
	ds=() rs=()
	for run in $(seq "$RUNS"); do
		order=("$DPORT" "$RPORT")
		[ $((run % 2)) = 0 ] && order=("$RPORT" "$DPORT")
		for port in "${order[@]}"; do
			if [ "$port" = "$RPORT" ] && [ "$redis_has_json" = no ]; then
				continue
			fi
			setup "$port" "$spec"
			c=${cmd//JSONDOC/$doc}
			# shellcheck disable=SC2086
			v=$(rps "$port" "$p" "$N" $c)
			if [ "$port" = "$DPORT" ]; then ds+=("$v"); else rs+=("$v"); fi
		done
	done
	for v in "${ds[@]}" "${rs[@]}"; do
		if [ -z "$v" ] || [ "$v" = 0 ]; then
			echo "| $name | $p | error: redis-benchmark reported no rate (an error reply?) | | |"
			continue 2
		fi
	done
	d=$(printf '%s\n' "${ds[@]}" | median)
	if [ ${#rs[@]} -gt 0 ]; then
		r=$(printf '%s\n' "${rs[@]}" | median)
		ratio=$(awk -v d="$d" -v r="$r" 'BEGIN {printf "%.2f", d/r}')
	else
		r="n/a (no RedisJSON module)"
		ratio="—"
	fi
	echo "| $name | $p | $d | $r | $ratio |"
done
