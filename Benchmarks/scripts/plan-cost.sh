#!/usr/bin/env bash
# What pricing costs a plan: the same applied estate planned without price books, then with a
# price book covering every site and every sim kind (and a blocking budget), in one run.
#
#   Benchmarks/scripts/plan-cost.sh [RESOURCES] [RUNS]     (defaults: 100000 3)
#
# The estate is generate-manifests' repository layout (a tree of files, one per 100 resources),
# applied once to the sim (latency 0); each plan then finds nothing to change. Prints the median
# wall time and peak memory of each.
set -euo pipefail
resources=${1:-100000}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/ballast-plan-cost.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$root" && swift build -c release --product ballast >/dev/null)
(cd "$here" && swift build -c release --product generate-manifests >/dev/null)
"$here/.build/release/generate-manifests" "$resources" "$work/tree" --tree $(( (resources + 99) / 100 )) >/dev/null
echo "applying $resources resources once (sim, latency 0)..." >&2
"$root/.build/release/ballast" apply "$work/tree" --auto-approve --state "$work/state" >/dev/null

mkdir -p "$work/prices"
{
  cat <<'YAML'
apiVersion: ballast.dev/v1
kind: PriceBook
metadata: { name: everything }
spec:
  currency: EUR
  models:
YAML
  for kind in Network Subnet VirtualMachine Database Bucket LoadBalancer DNSRecord Workload EdgeFunction; do
    printf '    - { provider: sim, kind: %s, terms: [{ name: base, perHour: 0.01, watts: 2.12 }] }\n' "$kind"
  done
  cat <<'YAML'
---
apiVersion: ballast.dev/v1
kind: Budget
metadata: { name: cap }
spec: { monthly: 100000000, currency: EUR }
YAML
} > "$work/prices/prices.yaml"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A commands=(
  [plan]="$root/.build/release/ballast plan $work/tree --state $work/state"
  [plan-priced]="$root/.build/release/ballast plan $work/tree $work/prices --state $work/state"
)
for run in $(seq "$runs"); do
  for name in plan plan-priced; do
    /usr/bin/time -f "%e %M" -o "$work/$name.$run" ${commands[$name]} >"$work/$name.out" 2>"$work/$name.err" || { cat "$work/$name.err"; exit 1; }
  done
done
grep '^Cost:' "$work/plan-priced.out" || true
printf 'plan of %s applied resources, %s runs each, medians\n' "$resources" "$runs"
printf '%-12s %9s %10s\n' run seconds peak-MiB
for name in plan plan-priced; do
  t=$(for r in $(seq "$runs"); do cut -d' ' -f1 "$work/$name.$r"; done | median)
  m=$(for r in $(seq "$runs"); do cut -d' ' -f2 "$work/$name.$r"; done | median)
  printf '%-12s %9.2f %10.1f\n' "$name" "$t" "$(echo "$m / 1024" | bc -l)"
done
