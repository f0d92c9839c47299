#!/usr/bin/env bash
# Builds the libFuzzer harnesses (their own scratch path, .build-fuzz, so the main build never
# sees libFuzzer or the sanitizers) and runs each for a bounded time.
#
#   Fuzz/run.sh [--seconds N] [--runs N] [--jobs N] [--release] [HARNESS...]
#
# HARNESS is manifests, json, plugin-wire, cloudevents or saved-plan (default: all).
# --seconds N   stop each harness after N seconds (default 30)
# --runs N      stop each harness after N executions instead (long runs: --runs 10000000)
# --jobs N      run N harnesses at once (default 1)
# --release     build with optimisation (slower to build, several times more executions/s)
#
# The seed corpus is Fuzz/Corpus/HARNESS plus, for manifests, every YAML file under
# manifests/examples. What a run learns is kept in .build-fuzz/corpus/HARNESS; a crash, hang or
# runaway allocation is written to .build-fuzz/artifacts/HARNESS/ and fails the script, with
# the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=30 runs="" jobs=1 configuration=debug harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --release) configuration=release; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "Fuzz/run.sh: unknown option $1" >&2; exit 64 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(manifests json plugin-wire cloudevents saved-plan)

scratch="$root/.build-fuzz"
# The toolchain's lld: gold fails on the fuzzer runtime's symbols.
mkdir -p "$scratch/logs"
# The build plan is made again every time: Ballast is a path dependency, and a cached plan does
# not see source files added to it since (a stale plan fails on the first new type).
if ! swift build --package-path Fuzz --scratch-path "$scratch" -c "$configuration" --disable-build-manifest-caching \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing > "$scratch/logs/build.log" 2>&1; then
  grep -v "Cannot export local symbol" "$scratch/logs/build.log" | tail -40 >&2
  echo "Fuzz/run.sh: the harnesses did not build (log: $scratch/logs/build.log)" >&2
  exit 1
fi
grep -E "warning: [^']|Build complete" "$scratch/logs/build.log" | grep -v "Cannot export local symbol" || true
bin="$scratch/$configuration"

# Seeds from the repository besides the committed corpus: the bundled examples.
examples="$scratch/seeds/manifests-examples"
rm -rf "$examples" && mkdir -p "$examples"
find manifests/examples -name '*.yaml' | while read -r file; do cp "$file" "$examples/$(echo "$file" | tr '/' '_')"; done

max_len() {
  case "$1" in
    saved-plan) echo 32768 ;;
    manifests|plugin-wire) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

run_one() {
  local harness=$1
  local corpus="$scratch/corpus/$harness" artifacts="$scratch/artifacts/$harness/" log="$scratch/logs/$harness.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local seeds=("Fuzz/Corpus/$harness")
  [ "$harness" = manifests ] && seeds+=("$examples")
  local limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  # Leak detection is off: Swift's lazily made globals read as leaks to LeakSanitizer. Runaway
  # memory is caught by the RSS and single-allocation limits instead.
  if BALLAST_FUZZ_HARNESS="$harness" ASAN_OPTIONS=detect_leaks=0 "$bin/ballast-fuzz" "$corpus" "${seeds[@]}" "${limit[@]}" -max_len="$(max_len "$harness")" \
      -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -detect_leaks=0 -print_final_stats=1 \
      -artifact_prefix="$artifacts" > "$log" 2>&1; then
    local executions coverage
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    coverage=$(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 | grep -o 'cov: [0-9]*' || echo "cov: ?")
    echo "fuzz $harness: ok, $executions executions, $coverage, corpus $(ls "$corpus" | wc -l) inputs"
  else
    echo "fuzz $harness: FAILED; the end of $log:" >&2
    grep -v '^#[0-9]' "$log" | tail -40 >&2
    for artifact in "$artifacts"*; do
      [ -e "$artifact" ] && echo "replay: BALLAST_FUZZ_HARNESS=$harness $bin/ballast-fuzz $artifact" >&2
    done
    return 1
  fi
}

status=0
pids=()
for harness in "${harnesses[@]}"; do
  case "$harness" in manifests|json|plugin-wire|cloudevents|saved-plan) ;; *) echo "Fuzz/run.sh: no harness '$harness'" >&2; exit 64 ;; esac
  run_one "$harness" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
