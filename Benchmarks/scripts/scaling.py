#!/usr/bin/env python3
"""Scaling run: how validate, plan, apply and watch heal grow with the estate, in both layouts.

For each size (default 1k, 10k, 100k; add 1000000 for the million, which takes tens of minutes)
and each layout (`one`: one generated file; `tree`: the repository-shaped tree of files, one per
100 resources), this measures as whole processes, on this machine, in one run:

  - the libyaml C event scan of the same bytes (the yardstick every ratio divides by);
    the C scan, validate and plan run --repeat times (default 3) and the fastest counts;
  - `ballast validate`: wall time and peak memory;
  - `ballast apply` (sim, 0 ms latency, fresh state): wall time and peak memory;
  - `ballast plan` of the applied estate (nothing to change): wall time and peak memory;
  - watch mode: drift -> healed p50/p99 over DRIFTS drifts (watch-heal-latency), the daemon's
    resident memory after start-up.

It prints a Markdown table, writes scaling.csv and scaling.png (time and memory per resource
against estate size, log axes) into --out (default: the current directory). Each row records the
commit it measured (`git describe`, with -dirty when the work tree had changes).

  Benchmarks/scripts/scaling.py [--sizes 1000,10000,100000] [--layouts one,tree] [--drifts 200] [--repeat 3] [--out DIR]

--replot merges the CSVs of earlier runs (the 1M run takes tens of minutes, so it is usually a
run of its own) into one table and plot, measuring nothing; a row of a later file replaces one of
the same layout and size from an earlier file:

  Benchmarks/scripts/scaling.py --replot small.csv million.csv --out DIR

Needs matplotlib for the plot (pip install matplotlib); without it the table and CSV are still
written. Expects ../shared/bench/yaml_events.c (or BALLAST_SHARED) for the C scan.
"""
import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # Benchmarks/
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("BALLAST_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
BALLAST = os.path.join(ROOT, ".build/release/ballast")
GENERATE = os.path.join(HERE, ".build/release/generate-manifests")
HEAL = os.path.join(HERE, ".build/release/watch-heal-latency")


def build(work):
    source = os.path.join(SHARED, "bench/yaml_events.c")
    if not os.path.exists(source):
        sys.exit(f"scaling.py: the C scan's source {source} is missing; set BALLAST_SHARED to the folder that holds bench/yaml_events.c")
    subprocess.run(["swift", "build", "-c", "release", "--product", "ballast"], cwd=ROOT, check=True, capture_output=True)
    for product in ["generate-manifests", "watch-heal-latency"]:
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=HERE, check=True, capture_output=True)
    scan = os.path.join(work, "yaml_events")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "yaml-0.1"], check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-o", scan, source] + flags, check=True)
    return scan


def timed(command):
    """Wall seconds and peak resident MiB of one process (GNU time)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", report.name] + command, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds, kib = report.read().split()[-2:]
    return float(seconds), int(kib) / 1024


def fastest(repeat, command):
    """The shortest wall time of `repeat` runs, with that run's peak memory."""
    return min(timed(command) for _ in range(max(1, repeat)))


def heal(paths, state, drifts):
    """Starts `ballast watch`, waits for ready and an empty queue, reads its RSS, then drifts."""
    out = open(os.path.join(state, "..", "watch.out"), "w")
    err = open(os.path.join(state, "..", "watch.err"), "w")
    daemon = subprocess.Popen([BALLAST, "watch"] + paths + ["--state", state, "--listen", "127.0.0.1:0", "--resync", "1h"], stdout=out, stderr=err)
    try:
        url = None
        deadline = time.time() + 3600
        while time.time() < deadline:
            text = open(out.name).read()
            match = re.search(r"listening on (http://[0-9.:]+)", text)
            if match:
                url = match.group(1)
            if url and "started:" in text:
                break
            if daemon.poll() is not None:
                raise RuntimeError(open(err.name).read())
            time.sleep(0.2)
        for _ in range(300):
            metrics = urllib.request.urlopen(url + "/metrics").read().decode()
            depth = re.search(r"^ballast_queue_depth (\S+)", metrics, re.M)
            if depth and float(depth.group(1)) == 0:
                break
            time.sleep(0.2)
        # Settled: the daemon gives back what start-up freed a moment after it (malloc_trim).
        time.sleep(5)
        rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{daemon.pid}/status").read()).group(1)) / 1024
        line = subprocess.run([HEAL, state, str(drifts)], check=True, capture_output=True, text=True).stdout
        p50 = float(re.search(r"p50 ([0-9.]+) ms", line).group(1))
        p99 = float(re.search(r"p99 ([0-9.]+) ms", line).group(1))
        return p50, p99, rss
    finally:
        daemon.terminate()
        daemon.wait()


def commit():
    """The commit measured, as `git describe` names it; -dirty when the work tree had changes."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(size, layout, drifts, repeat, scan, work):
    case = os.path.join(work, f"{layout}-{size}")
    os.makedirs(case)
    one = os.path.join(case, "estate.yaml")
    if layout == "tree":
        tree = os.path.join(case, "tree")
        subprocess.run([GENERATE, str(size), tree, "--tree", str(max(1, (size + 99) // 100))], check=True, capture_output=True)
        with open(one, "wb") as joined:
            for directory, _, files in sorted(os.walk(tree)):
                for name in sorted(files):
                    if name.endswith(".yaml"):
                        with open(os.path.join(directory, name), "rb") as part:
                            shutil.copyfileobj(part, joined)
        paths = [tree]
    else:
        subprocess.run([GENERATE, str(size), one, "--latency-ms", "0"], check=True, capture_output=True)
        paths = [one]
    row = {"commit": commit(), "layout": layout, "resources": size, "bytes": os.path.getsize(one)}
    # The fastest of `repeat` runs of each read-only step: one run of the C scan moved by a third
    # from run to run on a shared machine, and every ratio divides by it.
    row["scan_s"], _ = fastest(repeat, [scan, one])
    row["validate_s"], row["validate_mib"] = fastest(repeat, [BALLAST, "validate"] + paths + ["--state", os.path.join(case, "none")])
    state = os.path.join(case, "state")
    row["apply_s"], row["apply_mib"] = timed([BALLAST, "apply"] + paths + ["--auto-approve", "--state", state])
    row["plan_s"], row["plan_mib"] = fastest(repeat, [BALLAST, "plan"] + paths + ["--state", state])
    row["heal_p50_ms"], row["heal_p99_ms"], row["watch_rss_mib"] = heal(paths, state, drifts)
    shutil.rmtree(case, ignore_errors=True)
    return row


def table(rows):
    lines = [
        "| commit | layout | resources | MB | C scan s | validate s (×C) | validate MiB | apply s | apply MiB | plan s (×C) | plan MiB | heal p50/p99 ms | watch RSS MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.get('commit') or 'unknown'} | {r['layout']} | {r['resources']:,} | {r['bytes'] / 1e6:.1f} | {r['scan_s']:.2f} | "
            f"{r['validate_s']:.2f} ({r['validate_s'] / max(r['scan_s'], 0.01):.1f}) | {r['validate_mib']:.0f} | "
            f"{r['apply_s']:.2f} | {r['apply_mib']:.0f} | {r['plan_s']:.2f} ({r['plan_s'] / max(r['scan_s'], 0.01):.1f}) | {r['plan_mib']:.0f} | "
            f"{r['heal_p50_ms']:.1f} / {r['heal_p99_ms']:.1f} | {r['watch_rss_mib']:.0f} |")
    return "\n".join(lines)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return
    # Time per resource compares runs on one machine only; its multiple of the C scan of the
    # same bytes in the same run compares runs on machines of different speeds as well.
    figure, (times, ratios, memory) = plt.subplots(1, 3, figsize=(17, 4.5))
    colours = {"validate": "tab:blue", "plan": "tab:orange", "apply": "tab:green", "C scan": "tab:gray", "watch RSS": "tab:red"}
    for layout, style in [("one", "-"), ("tree", "--")]:
        chosen = [r for r in rows if r["layout"] == layout]
        for axis, series, per in [
            (times, [("validate_s", "validate"), ("plan_s", "plan"), ("apply_s", "apply"), ("scan_s", "C scan")], lambda r, v: v * 1e6 / r["resources"]),
            # GNU time reads 0.00 s below 10 ms: no ratio to such a scan.
            (ratios, [("validate_s", "validate"), ("plan_s", "plan"), ("apply_s", "apply")], lambda r, v: v / r["scan_s"] if r["scan_s"] > 0 else 0),
            (memory, [("validate_mib", "validate"), ("plan_mib", "plan"), ("apply_mib", "apply"), ("watch_rss_mib", "watch RSS")], lambda r, v: v * 1024 / r["resources"]),
        ]:
            for key, label in series:
                # GNU time reads 0.00 s below 10 ms: such points have no place on a log axis.
                points = [(r["resources"], per(r, r[key])) for r in chosen if r[key] > 0 and per(r, r[key]) > 0]
                if points:
                    axis.plot(*zip(*points), style, marker="o", color=colours[label], label=f"{label} ({layout})")
    for axis, title, unit in [(times, "time per resource", "µs per resource"), (ratios, "time as a multiple of the C scan", "× the libyaml C event scan, same run"),
                              (memory, "peak memory per resource", "KiB per resource")]:
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("resources in the estate")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    commits = sorted({r.get("commit") or "unknown" for r in rows})
    figure.suptitle("measured at " + ", ".join(commits), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


FIELDS = ["commit", "layout", "resources", "bytes", "scan_s", "validate_s", "validate_mib", "apply_s", "apply_mib",
          "plan_s", "plan_mib", "heal_p50_ms", "heal_p99_ms", "watch_rss_mib"]


def merged(paths):
    """The rows of earlier runs' CSVs, a later file's row replacing an earlier one of the same layout and size."""
    rows = {}
    for path in paths:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [key for key in FIELDS[1:] if key not in (reader.fieldnames or [])]
            if missing:
                sys.exit(f"scaling.py: {path} is not a scaling.csv: it has no column {', '.join(missing)}")
            for line, raw in enumerate(reader, start=2):
                try:
                    row = {"commit": raw.get("commit") or "unknown", "layout": raw["layout"], "resources": int(raw["resources"]), "bytes": int(raw["bytes"])}
                    for key in FIELDS[4:]:
                        row[key] = float(raw[key])
                except (TypeError, ValueError) as error:
                    sys.exit(f"scaling.py: {path}:{line}: not a number where one belongs ({error})")
                rows[(row["layout"], row["resources"])] = row
    return list(rows.values())


def write(rows, out):
    """scaling.csv, scaling.png and the Markdown table (printed) of `rows`."""
    rows.sort(key=lambda r: (r["layout"], r["resources"]))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "scaling.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, os.path.join(out, "scaling.png"))
    print(table(rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--layouts", default="one,tree")
    parser.add_argument("--drifts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the C scan, validate and plan; the fastest counts (default 3)")
    parser.add_argument("--out", default=".")
    parser.add_argument("--replot", nargs="+", metavar="CSV", help="merge these runs' CSVs into one table and plot; measure nothing")
    options = parser.parse_args()
    if options.replot:
        rows = merged(options.replot)
        write(rows, options.out)
        return
    work = tempfile.mkdtemp(prefix="ballast-scaling.")
    try:
        scan = build(work)
        rows = []
        for size in [int(s) for s in options.sizes.split(",")]:
            for layout in options.layouts.split(","):
                print(f"measuring {layout} at {size:,} resources...", file=sys.stderr)
                rows.append(measure(size, layout, options.drifts, options.repeat, scan, work))
        write(rows, options.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
