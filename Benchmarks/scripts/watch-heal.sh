#!/usr/bin/env bash
# Watch mode under load: a generated estate (latency 0) kept by `ballast watch`, then
#   - resident memory after start-up;
#   - CPU time the idle daemon uses over IDLE_SECONDS (no busy polling means ≈ 0);
#   - time from a sim drift to healed, p50/p99 over DRIFTS drifts (watch-heal-latency);
#   - resident memory after the drifts.
#
#   Benchmarks/scripts/watch-heal.sh [RESOURCES] [DRIFTS] [IDLE_SECONDS]   (10000 1000 60)
set -euo pipefail
resources=${1:-10000}
drifts=${2:-1000}
idle=${3:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/ballast-watch-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
(cd "$root" && swift build -c release --product ballast >/dev/null)
(cd "$here" && swift build -c release --product generate-manifests >/dev/null && swift build -c release --product watch-heal-latency >/dev/null)
ballast="$root/.build/release/ballast"
bin="$here/.build/release"

"$bin/generate-manifests" "$resources" "$work/estate.yaml" --latency-ms 0
start=$(date +%s.%N)
"$ballast" watch "$work/estate.yaml" --state "$work/state" --listen 127.0.0.1:0 --resync 1h >"$work/watch.out" 2>"$work/watch.err" &
pid=$!
until grep -q 'started:' "$work/watch.out"; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/watch.err"; exit 1; }
  sleep 0.1
done
ready=$(date +%s.%N)
url=$(grep -o 'http://[0-9.:]*' "$work/watch.out" | head -1)
printf 'start-up (load, plan, apply %d resources): %.2f s\n' "$resources" "$(echo "$ready - $start" | bc -l)"

rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }
cpu_seconds() {  # utime + stime of the daemon, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat"
}
# Let start-up echoes settle: wait until the queue is empty.
for _ in $(seq 1 100); do
  depth=$(curl -s "$url/metrics" | awk '/^ballast_queue_depth / {print $2}')
  [ "${depth%.*}" = "0" ] && break
  sleep 0.2
done
echo "resident memory after start-up: $(rss)"
before=$(cpu_seconds)
sleep "$idle"
after=$(cpu_seconds)
printf 'CPU while idle for %d s: %.3f s (%.2f%% of one core)\n' "$idle" "$(echo "$after - $before" | bc -l)" "$(echo "($after - $before) * 100 / $idle" | bc -l)"
"$bin/watch-heal-latency" "$work/state" "$drifts"
echo "resident memory after the drifts: $(rss)"
curl -s "$url/metrics" | grep -E '^ballast_(heals_total|drifts_detected_total|time_to_heal_seconds_(sum|count))' || true
kill -TERM "$pid"
wait "$pid" || true
pid=""
