#!/usr/bin/env bash
# The fault soak on a release build: ballast watch on a generated estate while faults are
# injected, then the checks (see soak.py for both lists).
#
#   Benchmarks/scripts/soak.sh [DURATION_SECONDS] [RESOURCES] [SEED] [--no-kill]     (1800 3000 1)
#
# CI runs a 60-second version on the debug build: soak.py --ballast .build/debug/ballast --duration 60
set -euo pipefail
duration=${1:-1800}
resources=${2:-3000}
seed=${3:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$root" && swift build -c release --product ballast >/dev/null)
shift $(( $# < 3 ? $# : 3 ))
exec python3 "$root/Benchmarks/scripts/soak.py" --ballast "$root/.build/release/ballast" --duration "$duration" --resources "$resources" --seed "$seed" "$@"
