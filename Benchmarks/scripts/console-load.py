#!/usr/bin/env python3
"""The status console at scale, in a real browser: how long the first page takes to render.

Generates an estate of RESOURCES sim resources (Benchmarks' generate-manifests), starts
`ballast watch` (release build) on it, waits until it is ready, then loads console views in
headless chromium (Selenium, the system chromedriver) several times each and reports, per view,
the median and the worst of:
  - server: the time to the first byte of the HTML (responseStart - requestStart);
  - ready: DOMContentLoaded, from navigation start (the table is in the HTML: it is shown).

  Benchmarks/scripts/console-load.py [--resources 100000] [--loads 5]
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

os.environ["SE_OFFLINE"] = "true"
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

here = os.path.dirname(os.path.abspath(__file__))
benchmarks = os.path.dirname(here)
root = os.path.dirname(benchmarks)

parser = argparse.ArgumentParser()
parser.add_argument("--resources", type=int, default=100_000)
parser.add_argument("--loads", type=int, default=5)
args = parser.parse_args()

subprocess.run(["swift", "build", "-c", "release", "--product", "ballast"], cwd=root, check=True, stdout=subprocess.DEVNULL)
subprocess.run(["swift", "build", "-c", "release", "--product", "generate-manifests"], cwd=benchmarks, check=True, stdout=subprocess.DEVNULL)
ballast = os.path.join(root, ".build/release/ballast")
work = tempfile.mkdtemp(prefix="ballast-console-bench.")
estate = os.path.join(work, "estate.yaml")
subprocess.run([os.path.join(benchmarks, ".build/release/generate-manifests"), str(args.resources), estate, "--latency-ms", "0"], check=True)

out = open(os.path.join(work, "watch.out"), "w+")
err = open(os.path.join(work, "watch.err"), "w")
started = time.time()
daemon = subprocess.Popen([ballast, "watch", estate, "--state", os.path.join(work, "state"), "--listen", "127.0.0.1:0", "--resync", "1h"], stdout=out, stderr=err)
try:
    url = None
    while True:
        out.seek(0)
        text = out.read()
        match = re.search(r"listening on (http://[0-9.:]+)", text)
        if match:
            url = match.group(1)
        if url and "started:" in text:
            break
        if daemon.poll() is not None:
            sys.exit("ballast watch did not start: " + open(os.path.join(work, "watch.err")).read())
        time.sleep(0.2)
    print(f"console-load: {args.resources} resources, daemon ready after {time.time() - started:.1f} s")

    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    views = {
        "first page (50 rows)": "/",
        "500 rows": "/?per=500",
        "a far page": f"/?page={max(1, args.resources // 50 - 1)}",
        "filtered: one site": "/?site=site-3",
        "search by id": "/?q=res-9999",
    }
    try:
        for name, path in views.items():
            server, ready = [], []
            for _ in range(args.loads):
                driver.get("about:blank")
                driver.get(url + path)
                timing = driver.execute_script("""
                    var t = performance.getEntriesByType('navigation')[0];
                    return {server: t.responseStart - t.requestStart, ready: t.domContentLoadedEventEnd};
                """)
                server.append(timing["server"])
                ready.append(timing["ready"])
            fmt = lambda values: f"p50 {statistics.median(values):.0f} ms, max {max(values):.0f} ms" if values else "n/a"
            print(f"  {name:22} server {fmt(server)}; ready {fmt(ready)}")
    finally:
        driver.quit()
    with open(f"/proc/{daemon.pid}/status") as status:
        rss = next(line for line in status if line.startswith("VmRSS")).split()[1]
    print(f"  daemon resident memory: {int(rss) / 1024:.0f} MiB")
finally:
    daemon.terminate()
    daemon.wait()
    subprocess.run(["rm", "-rf", work])
