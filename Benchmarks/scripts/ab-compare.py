#!/usr/bin/env python3
"""Two or more `ballast` builds side by side on the same estate, in one run, in turns.

For each round and each binary: apply the generator's one-file estate of SIZE resources from an
empty SQLite state (sim, 0 ms), plan the applied estate twice, then start `ballast watch`,
read its resident memory once settled and time DRIFTS heals (see scaling.py, whose steps
this reuses). Builds take turns within a round, so a noisy machine affects them alike.

  Benchmarks/scripts/ab-compare.py SIZE ROUNDS BALLAST... [--drifts 200]

Build each binary first (for example `git worktree add /tmp/base REV` and
`swift build -c release --product ballast` there), and the benchmark tools with scaling.py's
build step (`cd Benchmarks && swift build -c release --product generate-manifests` and
`--product watch-heal-latency`).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("rounds", type=int)
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--drifts", type=int, default=200)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ballast-ab-")
    try:
        estate = os.path.join(work, "estate.yaml")
        subprocess.run([scaling.GENERATE, str(arguments.size), estate, "--latency-ms", "0"], check=True, capture_output=True)
        print(f"estate: {arguments.size} resources, {os.path.getsize(estate)} bytes, one file", flush=True)
        print("| build | round | apply s | apply MiB | plan s | plan MiB | heal p50/p99 ms | watch RSS MiB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
        for round_number in range(1, arguments.rounds + 1):
            for binary in arguments.binaries:
                scaling.BALLAST = binary
                case = os.path.join(work, "case")
                shutil.rmtree(case, ignore_errors=True)
                os.makedirs(case)
                state = os.path.join(case, "state")
                apply_s, apply_mib = scaling.timed([binary, "apply", estate, "--auto-approve", "--state", state])
                plans = [scaling.timed([binary, "plan", estate, "--state", state]) for _ in range(2)]
                p50, p99, rss = scaling.heal([estate], state, arguments.drifts)
                print(f"| {binary} | {round_number} | {apply_s:.2f} | {apply_mib:.0f} | "
                      f"{' / '.join(f'{s:.2f}' for s, _ in plans)} | {' / '.join(f'{m:.0f}' for _, m in plans)} | "
                      f"{p50} / {p99} | {rss:.0f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
