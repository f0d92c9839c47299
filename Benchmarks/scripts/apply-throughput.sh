#!/usr/bin/env bash
# Apply throughput against sim: a generated estate applied with `ballast apply`, timed whole,
# compared with the ideal wall time sum over graph layers of ceil(layer size / parallelism) ×
# latency (one provider call per create). A second run at latency 0 gives actions per second,
# which shows whether bookkeeping (SQLite journal and inventory writes) is the bottleneck.
#
#   Benchmarks/scripts/apply-throughput.sh [RESOURCES] [LATENCY_MS] [PARALLELISM]   (10000 20 10)
set -euo pipefail
resources=${1:-10000}
latency=${2:-20}
parallelism=${3:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/ballast-apply-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root" && swift build -c release --product ballast >/dev/null)
(cd "$here" && swift build -c release --product generate-manifests >/dev/null)
ballast="$root/.build/release/ballast"

run() {  # run LATENCY
  local ms=$1 file="$work/estate-$1.yaml" state="$work/state-$1"
  "$here/.build/release/generate-manifests" "$resources" "$file" --latency-ms "$ms" >/dev/null
  local ideal
  ideal=$("$ballast" graph "$file" -o json --state "$state" | python3 -c "
import json, math, sys, collections
layers = collections.Counter(node['layer'] for node in json.load(sys.stdin)['nodes'])
print(sum(math.ceil(n / $parallelism) for n in layers.values()) * $ms / 1000)")
  local start end
  start=$(date +%s.%N)
  "$ballast" apply "$file" --auto-approve --parallelism "$parallelism" --state "$state" >"$work/apply-$ms.out" 2>&1 || { tail -5 "$work/apply-$ms.out"; exit 1; }
  end=$(date +%s.%N)
  local wall
  wall=$(echo "$end - $start" | bc -l)
  local applied
  applied=$(grep -c '^+ ' "$work/apply-$ms.out" || true)
  printf 'latency %3s ms: %6d actions in %7.2f s wall (ideal %7.2f s, ratio %.3f), %8.1f actions/s\n' \
    "$ms" "$applied" "$wall" "$ideal" "$(echo "if ($ideal > 0) $wall / $ideal else 0" | bc -l)" "$(echo "$applied / $wall" | bc -l)"
}
echo "apply of $resources generated resources, parallelism $parallelism (wall time includes load, plan and process start)"
run "$latency"
run 0
