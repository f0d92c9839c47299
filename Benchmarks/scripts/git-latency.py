#!/usr/bin/env python3
"""From `git push` to applied, with `ballast watch --git`: p50 and p99 with the push webhook,
and with polling, measured side by side in one run.

A bare repository is made here (`git init --bare`) and cloned over file://; the estate is one
sim site with --resources buckets. Each round commits a new bucket and pushes; the clock starts
when `git push` returns and stops when the daemon's API lists the bucket as Ready. With the
webhook, a signed push hook (GitHub's X-Hub-Signature-256) is sent right after the push, and the
daemon fetches only then (--interval 1h); with polling, --interval is --poll (default 5s), and
each push comes at a random moment of the interval (a uniform wait before it), so the expected
latency is about half the interval.

  Benchmarks/scripts/git-latency.py [--ballast .build/release/ballast] [--rounds 30] [--poll 5s]
      [--resources 200]
"""
import argparse, hashlib, hmac, json, os, random, shutil, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: { name: lab }\nspec: { class: cloud, provider: sim, config: { latencyMs: 0 } }\n"


def bucket(name):
    return f"apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {{ name: {name}, site: lab }}\nspec: {{ versioning: true }}\n"


def git(work, *args):
    subprocess.run(["git", "-C", work, "-c", "user.name=bench", "-c", "user.email=bench@ballast.invalid", "-c", "commit.gpgsign=false", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Run:
    def __init__(self, args, mode):
        self.args, self.mode = args, mode
        self.work = tempfile.mkdtemp(prefix=f"ballast-git-{mode}-")
        self.bare, self.clone = os.path.join(self.work, "remote.git"), os.path.join(self.work, "clone")
        subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", self.bare], check=True)
        subprocess.run(["git", "init", "-q", "--initial-branch=main", self.clone], check=True)
        git(self.clone, "remote", "add", "origin", self.bare)
        os.makedirs(os.path.join(self.clone, "estate"))
        with open(os.path.join(self.clone, "estate", "site.yaml"), "w") as f:
            f.write(SITE)
        with open(os.path.join(self.clone, "estate", "buckets.yaml"), "w") as f:
            f.write("---\n".join(bucket(f"base-{i}") for i in range(args.resources)))
        git(self.clone, "add", "-A")
        git(self.clone, "commit", "-q", "-m", "estate")
        git(self.clone, "push", "-q", "origin", "HEAD:refs/heads/main")
        self.secret = "bench-secret"
        with open(os.path.join(self.work, "hook.secret"), "w") as f:
            f.write(self.secret)
        interval = "1h" if mode == "webhook" else args.poll
        self.poll_seconds = float(args.poll.rstrip("s")) if args.poll.endswith("s") and not args.poll.endswith("ms") else 5.0
        out, err = os.path.join(self.work, "watch.out"), os.path.join(self.work, "watch.err")
        self.process = subprocess.Popen(
            [args.ballast, "watch", "--git", "file://" + self.bare, "--path", "estate", "--interval", interval,
             "--git-webhook-secret-file", os.path.join(self.work, "hook.secret"), "--listen", "127.0.0.1:0",
             "--state", os.path.join(self.work, "state")],
            stdout=open(out, "w"), stderr=open(err, "w"), env={**os.environ, "BALLAST_TOKEN": "bench"})
        deadline = time.time() + 120
        self.url = None
        while time.time() < deadline:
            text = open(out).read()
            for line in text.splitlines():
                if "listening on " in line:
                    self.url = line.split("listening on ")[1].strip()
            if self.url and "started" in text:
                break
            if self.process.poll() is not None:
                sys.exit("ballast watch did not start:\n" + open(err).read())
            time.sleep(0.05)

    def ready(self, name):
        try:
            with urllib.request.urlopen(f"{self.url}/v1/resources/Bucket/{name}@lab", timeout=5) as response:
                document = json.load(response)
            return any(c["type"] == "Ready" and c["status"] == "True" for c in document.get("conditions", []))
        except Exception:
            return False

    def hook(self):
        body = b'{"ref": "refs/heads/main"}'
        mac = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{self.url}/v1/hooks/git", data=body, method="POST",
                                         headers={"X-Hub-Signature-256": "sha256=" + mac, "X-GitHub-Event": "push"})
        urllib.request.urlopen(request, timeout=5).read()

    def round(self, index):
        name = f"new-{index}"
        if self.mode == "polling":
            time.sleep(random.uniform(0, self.poll_seconds))
        with open(os.path.join(self.clone, "estate", f"{name}.yaml"), "w") as f:
            f.write(bucket(name))
        git(self.clone, "add", "-A")
        git(self.clone, "commit", "-q", "-m", name)
        git(self.clone, "push", "-q", "origin", "HEAD:refs/heads/main")
        start = time.perf_counter()
        if self.mode == "webhook":
            self.hook()
        while not self.ready(name):
            if time.perf_counter() - start > 120:
                sys.exit(f"{self.mode}: {name} was not applied within 120 s")
            time.sleep(0.005)
        return time.perf_counter() - start

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ballast", default=os.path.join(ROOT, ".build/release/ballast"))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--poll", default="5s")
    parser.add_argument("--resources", type=int, default=200)
    args = parser.parse_args()
    results = {}
    for mode in ["webhook", "polling"]:
        run = Run(args, mode)
        try:
            results[mode] = [run.round(i) for i in range(args.rounds)]
        finally:
            run.stop()
    print(f"push → applied, {args.rounds} rounds each, {args.resources + 1} resources, polling every {args.poll}")
    for mode, values in results.items():
        print(f"  {mode:8} p50 {percentile(values, 0.5) * 1000:8.1f} ms   p99 {percentile(values, 0.99) * 1000:8.1f} ms   "
              f"min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
