#!/usr/bin/env bash
# Apply throughput against sim: a generated estate applied with `ballast apply`, timed whole,
# compared with the ideal wall time sum over graph layers of ceil(layer size / parallelism) ×
# latency (one provider call per create). A second run at latency 0 gives actions per second,
# which shows whether bookkeeping (journal and inventory writes) is the bottleneck.
#
# BACKENDS picks the state stores, run side by side on the same estates: sqlite (the default),
# postgres (a throwaway cluster on 127.0.0.1 started here, fsync on, as a real one runs), or both.
#
#   Benchmarks/scripts/apply-throughput.sh [RESOURCES] [LATENCY_MS] [PARALLELISM] [BACKENDS]
#   (10000 20 10 sqlite)              e.g.  ... 10000 20 10 "sqlite postgres"
set -euo pipefail
resources=${1:-10000}
latency=${2:-20}
parallelism=${3:-10}
backends=${4:-sqlite}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/ballast-apply-bench.XXXXXX)
pg_ctl=""
cleanup() {
  if [ -n "$pg_ctl" ]; then as_postgres "$pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
(cd "$root" && swift build -c release --product ballast >/dev/null)
(cd "$here" && swift build -c release --product generate-manifests >/dev/null)
ballast="$root/.build/release/ballast"

as_postgres() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")
  pg_ctl="$bin/pg_ctl"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  [ "$(id -u)" = 0 ] && chown postgres "$work"
  as_postgres "$bin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
  as_postgres "$pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work" start >/dev/null
}

state_for() {  # state_for BACKEND LATENCY
  case $1 in
    sqlite) echo "$work/state-$2" ;;
    postgres) echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable&schema=bench_$2" ;;
  esac
}

run() {  # run BACKEND LATENCY
  local backend=$1 ms=$2 file="$work/estate-$2.yaml"
  [ -f "$file" ] || "$here/.build/release/generate-manifests" "$resources" "$file" --latency-ms "$ms" >/dev/null
  local state
  state=$(state_for "$backend" "$ms")
  local ideal
  ideal=$("$ballast" graph "$file" -o json --state "$work/graph" | python3 -c "
import json, math, sys, collections
layers = collections.Counter(node['layer'] for node in json.load(sys.stdin)['nodes'])
print(sum(math.ceil(n / $parallelism) for n in layers.values()) * $ms / 1000)")
  local start end
  start=$(date +%s.%N)
  "$ballast" apply "$file" --auto-approve --parallelism "$parallelism" --state "$state" --data-dir "$work/data-$backend-$ms" \
    >"$work/apply-$backend-$ms.out" 2>&1 || { tail -5 "$work/apply-$backend-$ms.out"; exit 1; }
  end=$(date +%s.%N)
  local wall
  wall=$(echo "$end - $start" | bc -l)
  local applied
  applied=$(grep -c '^+ ' "$work/apply-$backend-$ms.out" || true)
  printf '%-8s latency %3s ms: %6d actions in %7.2f s wall (ideal %7.2f s, ratio %.3f), %8.1f actions/s\n' \
    "$backend" "$ms" "$applied" "$wall" "$ideal" "$(echo "if ($ideal > 0) $wall / $ideal else 0" | bc -l)" "$(echo "$applied / $wall" | bc -l)"
}

case " $backends " in *" postgres "*) start_postgres ;; esac
echo "apply of $resources generated resources, parallelism $parallelism (wall time includes load, plan and process start)"
for backend in $backends; do
  run "$backend" "$latency"
  run "$backend" 0
done
