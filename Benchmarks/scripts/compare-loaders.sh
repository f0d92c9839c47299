#!/usr/bin/env bash
# Side by side, in one run, on the same generated file: the raw libyaml C event scan (the
# speed limit for any libyaml-based loader), PyYAML's CSafeLoader, `ballast validate`
# (load + validate) and, with `plan`, `ballast plan` against a sim world the estate was
# applied to first (a whole plan with nothing to change). Each process is timed whole with
# /usr/bin/time; runs alternate and the medians are reported, with ratios to the C scan.
#
# With `tree`, the estate is laid out as a repository (generate-manifests --tree: 1,000 files in a
# folder per team, comments, flow maps, multi-line strings; 100 resources a file); `ballast`
# then loads the tree, `ballast-one` the same bytes as one file, and the C scan reads that file.
#
#   Benchmarks/scripts/compare-loaders.sh [RESOURCES] [RUNS] [plan|tree]     (defaults: 100000 5)
set -euo pipefail
resources=${1:-100000}
runs=${2:-5}
with_plan=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
shared=${BALLAST_SHARED:-$root/../shared}
work=$(mktemp -d /tmp/ballast-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$root" && swift build -c release --product ballast >/dev/null)
(cd "$here" && swift build -c release --product generate-manifests >/dev/null)
gcc -O2 -o "$work/yaml_events" "$shared/bench/yaml_events.c" $(pkg-config --cflags --libs yaml-0.1)
file="$work/estate.yaml"
if [ "$with_plan" = tree ]; then
  "$here/.build/release/generate-manifests" "$resources" "$work/tree" --tree $(( (resources + 99) / 100 )) >/dev/null
  find "$work/tree" -name '*.yaml' | sort | xargs cat > "$file"
else
  "$here/.build/release/generate-manifests" "$resources" "$file"
fi
python3 -c "import yaml; yaml.CSafeLoader" 2>/dev/null && have_pyyaml=1 || have_pyyaml=0

declare -A commands=(
  [c-scan]="$work/yaml_events $file"
  [ballast]="$root/.build/release/ballast validate $file --state $work/state"
)
if [ "$with_plan" = tree ]; then
  commands[ballast]="$root/.build/release/ballast validate $work/tree --state $work/state"
  commands[ballast-one]="$root/.build/release/ballast validate $file --state $work/state"
fi
[ "$have_pyyaml" = 1 ] && commands[pyyaml-c]="python3 $shared/bench/py_load.py $file c"
if [ "$with_plan" = plan ]; then
  echo "applying the estate once (sim, latency 0) for the plan runs..." >&2
  "$root/.build/release/ballast" apply "$file" --auto-approve --state "$work/planned" >/dev/null
  commands[plan]="$root/.build/release/ballast plan $file --state $work/planned"
fi

for run in $(seq "$runs"); do
  for name in "${!commands[@]}"; do
    /usr/bin/time -f "%e %M" -o "$work/$name.$run" ${commands[$name]} >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err"; exit 1; }
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
bytes=$(stat -c %s "$file")
c_time=$(for r in $(seq "$runs"); do cut -d' ' -f1 "$work/c-scan.$r"; done | median)
printf 'input: %s resources, %.1f MB; %s runs each, medians\n' "$resources" "$(echo "$bytes / 1000000" | bc -l)" "$runs"
printf '%-11s %9s %9s %8s %12s %10s\n' tool seconds MB/s xC peak-MiB xInput
for name in c-scan ballast ballast-one plan pyyaml-c; do
  [ -f "$work/$name.1" ] || continue
  t=$(for r in $(seq "$runs"); do cut -d' ' -f1 "$work/$name.$r"; done | median)
  m=$(for r in $(seq "$runs"); do cut -d' ' -f2 "$work/$name.$r"; done | median)
  printf '%-11s %9.2f %9.1f %8.2f %12.1f %10.2f\n' "$name" "$t" "$(echo "$bytes / 1000000 / $t" | bc -l)" "$(echo "$t / $c_time" | bc -l)" "$(echo "$m / 1024" | bc -l)" "$(echo "$m * 1024 / $bytes" | bc -l)"
done
