#!/usr/bin/env python3
"""Fault soak: `ballast watch` on a generated estate while a driver injects faults, then checks.

Faults, for --duration seconds, one every 0.3 to 1.5 s, chosen at random (seeded):
  - provider failures: a site's failureRate set to 0.3 in sites.yaml, and back to 0;
  - site outages on and off (`ballast sim outage`);
  - out-of-band drift and deletes (`ballast sim drift`, `ballast sim delete`);
  - manifest edits, some written in two steps 1.5 s apart (a half-written file);
  - every team file moved away at once for twice the prune delay: a removal the deletion
    budget must hold;
  - up to three files removed for good (their resources may be pruned; prune: false ones may
    not);
  - kill -9 of the daemon at a random moment, and a restart.

Then, with the faults stopped, it checks:
  - the estate converges (`ballast plan --detailed-exitcode` exits 0); removals that the
    deletion budget held are approved first, by digest, as an operator would;
  - every journal intent has exactly one outcome;
  - no resource was created twice (creates of an id <= 1 + its deletions, in or out of band);
  - the inventory equals the world;
  - nothing protected (preventDestroy, prune: false) and nothing still declared was deleted;
  - resident memory: the slope over the longest-lived daemon, reported.

  Benchmarks/scripts/soak.py --ballast .build/release/ballast [--duration 60] [--resources 3000] [--seed 1]
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

SITES = 4
FILES = 40
PRUNE_DELAY = 3


class Soak:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="ballast-soak.")
        self.manifests = os.path.join(self.work, "manifests")
        self.parked = os.path.join(self.work, "parked")
        self.state = os.path.join(self.work, "state")
        self.daemon = None
        self.daemon_log = None
        self.url = None
        self.incarnations = []  # (start time, [(t, rss KiB)])
        self.counts = {}
        self.out_of_band_deletes = {}
        self.removed_for_good = set()
        self.failure_rates = [0.0] * SITES
        self.outages = set()
        self.files = {}  # name -> list of resource dicts
        self.protected = set()
        self.keep = set()

    # ---- the estate ----

    def resource_yaml(self, r):
        lines = ["apiVersion: ballast.dev/v1", f"kind: {r['kind']}",
                 f"metadata: {{ name: {r['name']}, site: site-{r['site']}, labels: {{ team: {r['team']} }} }}",
                 "spec:"]
        if r["kind"] == "Bucket":
            lines += [f"  versioning: {str(r['version'] % 2 == 0).lower()}",
                      f"  tags: {{ purpose: \"bucket {r['name']}\", edit: \"e{r['version']}\" }}"]
        elif r["kind"] == "Network":
            lines += [f"  cidr: 10.{r['index'] % 250}.0.0/16", f"  description: \"edit {r['version']}\""]
        else:
            lines += ["  zone: example.com", f"  record: {r['name']}", "  type: A",
                      f"  value: \"192.0.2.{r['version'] % 250}\""]
        policy = r.get("policy")
        if policy:
            lines.append(f"policy: {{ {policy} }}")
        return "\n".join(lines) + "\n"

    def file_text(self, name):
        # A comment and a blank line between documents, as people write them.
        docs = [f"# {r['kind']}/{r['name']}\n" + self.resource_yaml(r) for r in self.files[name]]
        return "---\n".join(docs)

    def sites_text(self):
        out = []
        for i in range(SITES):
            out.append("apiVersion: ballast.dev/v1\nkind: Site\n"
                       f"metadata: {{ name: site-{i} }}\n"
                       f"spec: {{ class: cloud, provider: sim, config: {{ latencyMs: 0, failureRate: {self.failure_rates[i]} }} }}\n")
        return "---\n".join(out)

    def generate(self):
        os.makedirs(self.manifests)
        os.makedirs(self.parked)
        kinds = ["Bucket", "Network", "DNSRecord"]
        per_file = max(1, self.args.resources // FILES)
        index = 0
        for f in range(FILES):
            name = f"team-{f:02d}.yaml"
            self.files[name] = []
            for _ in range(per_file):
                r = {"kind": kinds[index % 3], "name": f"r{index}", "site": index % SITES, "team": f"t{f}",
                     "index": index, "version": 0}
                self.files[name].append(r)
                index += 1
        # Protected resources in files of their own: protected.yaml only the mass removal touches;
        # keep.yaml is the first file removed for good.
        for name, count, policy, protected in [("protected.yaml", 10, "preventDestroy: true", self.protected),
                                               ("keep.yaml", 5, "prune: false", self.keep)]:
            self.files[name] = []
            for i in range(count):
                r = {"kind": "Bucket", "name": f"{name.split('.')[0]}-{i}", "site": i % SITES, "team": "core",
                     "index": index, "version": 0, "policy": policy}
                self.files[name].append(r)
                protected.add(self.rid(r))
                index += 1
        for name in self.files:
            self.write_atomic(name, self.file_text(name))
        self.write_atomic("sites.yaml", self.sites_text())
        self.total = index

    @staticmethod
    def rid(r):
        return f"{r['kind']}/{r['name']}@site-{r['site']}"

    def write_atomic(self, name, text):
        path = os.path.join(self.manifests, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def write_in_two_steps(self, name, text):
        path = os.path.join(self.manifests, name)
        half = len(text) // 2
        with open(path, "w") as f:
            f.write(text[:half])
            f.flush()
            time.sleep(1.5)
            f.write(text[half:])

    # ---- the daemon ----

    def cli(self, *args, check=False, timeout=120):
        result = subprocess.run([self.args.ballast, *args, "--state", self.state], capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"ballast {' '.join(args)}: {result.returncode}: {result.stderr}")
        return result

    def start(self):
        self.daemon_log = open(os.path.join(self.work, f"watch-{len(self.incarnations)}.log"), "w")
        self.daemon = subprocess.Popen(
            [self.args.ballast, "watch", self.manifests, "--state", self.state, "--listen", "127.0.0.1:0",
             "--prune-delay", self.args.daemon_prune_delay, "--resync", "20s", "--lock-timeout", "30s"],
            stdout=self.daemon_log, stderr=subprocess.STDOUT)
        self.incarnations.append((time.time(), []))

    def running(self):
        return self.daemon is not None and self.daemon.poll() is None

    def kill9(self):
        if self.running():
            self.daemon.send_signal(signal.SIGKILL)
            self.daemon.wait()
        self.count("kill -9")

    def sample_rss(self):
        if not self.running():
            return
        try:
            with open(f"/proc/{self.daemon.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.incarnations[-1][1].append((time.time(), int(line.split()[1])))
        except OSError:
            pass

    # ---- faults ----

    def count(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    def world_ids(self):
        result = self.cli("sim", "ls", "-o", "json")
        if result.returncode != 0:
            return []
        return [r["id"] for r in json.loads(result.stdout)["resources"]]

    def declared(self):
        ids = set()
        for name, resources in self.files.items():
            if os.path.exists(os.path.join(self.manifests, name)):
                ids.update(self.rid(r) for r in resources)
        return ids

    def fault(self):
        choice = self.random.choices(
            ["failures", "outage", "drift", "delete", "edit", "half-edit", "mass-removal", "remove-file", "kill"],
            weights=[2, 2, 4, 3, 3, 2, 1, 1, 0 if self.args.no_kill else 1])[0]
        if choice == "failures":
            site = self.random.randrange(SITES)
            self.failure_rates[site] = 0.3 if self.failure_rates[site] == 0 else 0.0
            self.write_atomic("sites.yaml", self.sites_text())
        elif choice == "outage":
            site = self.random.randrange(SITES)
            on = f"site-{site}" not in self.outages
            if self.cli("sim", "outage", f"site-{site}", "on" if on else "off").returncode == 0:
                (self.outages.add if on else self.outages.discard)(f"site-{site}")
        elif choice in ("drift", "delete"):
            candidates = sorted(self.declared() - self.protected)
            if not candidates:
                return
            target = self.random.choice(candidates)
            if choice == "drift":
                field = "tags.edit=\"oob\"" if target.startswith("Bucket") else (
                    "description=\"oob\"" if target.startswith("Network") else "value=\"198.51.100.1\"")
                self.cli("sim", "drift", target, field)
            elif self.cli("sim", "delete", target).returncode == 0:
                self.out_of_band_deletes[target] = self.out_of_band_deletes.get(target, 0) + 1
        elif choice in ("edit", "half-edit"):
            names = [n for n in self.files if n.startswith("team-") and os.path.exists(os.path.join(self.manifests, n))]
            if not names:
                return
            name = self.random.choice(names)
            for r in self.random.sample(self.files[name], min(3, len(self.files[name]))):
                r["version"] += 1
            (self.write_atomic if choice == "edit" else self.write_in_two_steps)(name, self.file_text(name))
        elif choice == "mass-removal":
            moved = [n for n in os.listdir(self.manifests) if n != "sites.yaml" and n.endswith(".yaml")]
            for n in moved:
                os.rename(os.path.join(self.manifests, n), os.path.join(self.parked, n))
            time.sleep(PRUNE_DELAY * 2)
            for n in moved:
                os.rename(os.path.join(self.parked, n), os.path.join(self.manifests, n))
        elif choice == "remove-file":
            # At most three, so that what is pruned on purpose stays within the deletion budget.
            if self.counts.get("remove-file", 0) >= 3:
                return
            # keep.yaml first: its prune: false resources must outlive it.
            name = "keep.yaml" if os.path.exists(os.path.join(self.manifests, "keep.yaml")) else None
            if name is None:
                names = [n for n in self.files if n.startswith("team-") and os.path.exists(os.path.join(self.manifests, n))]
                if len(names) <= FILES // 2:
                    return
                name = self.random.choice(names)
            self.removed_for_good.update(self.rid(r) for r in self.files[name])
            os.remove(os.path.join(self.manifests, name))
        elif choice == "kill":
            time.sleep(self.random.random() * 2)
            self.kill9()
            self.start()
        self.count(choice)

    # ---- the run ----

    def api(self, path, body=None):
        """The running daemon's API, with the admin token it generated into the state."""
        match = None
        with open(self.daemon_log.name) as f:
            for match in re.finditer(r"listening on (http://[0-9.:]+)", f.read()):
                pass
        if match is None:
            return None
        with open(os.path.join(self.state, "watch.token")) as f:
            token = f.read().strip()
        request = urllib.request.Request(match.group(1) + path, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except Exception:
            return None

    def wait_converged(self, limit):
        deadline = time.time() + limit
        while time.time() < deadline:
            if not self.running():
                self.start()
            self.sample_rss()
            if self.cli("plan", self.manifests, "--detailed-exitcode").returncode == 0:
                return True
            # Removals the deletion budget holds wait for an approval of that exact set.
            held = (self.api("/v1/manifests") or {}).get("heldDeletions")
            if held and held.get("digest"):
                if self.api("/v1/reconcile", {"approveDeletions": held["digest"]}) is not None:
                    self.count("approved held deletions")
            time.sleep(2)
        return False

    def run(self):
        self.generate()
        print(f"soak: {self.total} resources in {len(self.files)} files on {SITES} sites, {self.args.duration} s of faults, seed {self.args.seed}, work {self.work}")
        self.start()
        if not self.wait_converged(600):
            print("soak: the estate did not converge before the faults", file=sys.stderr)
            return False
        started = time.time()
        while time.time() - started < self.args.duration:
            self.fault()
            self.sample_rss()
            time.sleep(0.3 + self.random.random() * 1.2)
        print("soak: faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))
        # Stop the faults: no outages, no failures, every parked file back.
        for site in sorted(self.outages):
            self.cli("sim", "outage", site, "off")
        self.failure_rates = [0.0] * SITES
        self.write_atomic("sites.yaml", self.sites_text())
        settle = time.time()
        converged = self.wait_converged(300)
        approvals = self.counts.get("approved held deletions", 0)
        print(f"soak: converged after the faults: {converged} ({time.time() - settle:.1f} s)"
              + (f", after {approvals} approval(s) of deletions the budget held" if approvals else ""))
        for _ in range(5):
            self.sample_rss()
            time.sleep(1)
        if self.running():
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.check(converged)

    def check(self, converged):
        problems = []
        if not converged:
            problems.append("the estate did not converge within 300 s of the faults stopping")
        events = json.loads(self.cli("events", "-o", "json", check=True).stdout)["events"]
        unfinished = [e for e in events if e.get("status") in (None, "", "unfinished", "pending")]
        if unfinished:
            problems.append(f"{len(unfinished)} journal intents have no outcome: {[e['sequence'] for e in unfinished[:5]]}")
        creates, deletes = {}, {}
        for e in events:
            if e.get("status") not in ("succeeded", "adopted"):
                continue
            if e["action"] in ("create", "replace"):
                creates[e["id"]] = creates.get(e["id"], 0) + 1
            if e["action"] in ("delete", "replace"):
                deletes[e["id"]] = deletes.get(e["id"], 0) + 1
        twice = [i for i, n in creates.items() if n > 1 + deletes.get(i, 0) + self.out_of_band_deletes.get(i, 0)]
        if twice:
            problems.append(f"created more often than deleted: {sorted(twice)[:5]}")
        inventory = {r["id"] for r in json.loads(self.cli("get", "-o", "json", check=True).stdout)["resources"]}
        world = set(self.world_ids())
        if inventory != world:
            problems.append(f"inventory and world differ: only in the inventory {sorted(inventory - world)[:5]}, only in the world {sorted(world - inventory)[:5]}")
        declared = self.declared()
        deleted = {e["id"] for e in events if e["action"] == "delete" and e.get("status") == "succeeded"}
        wrongly = sorted((deleted & (self.protected | self.keep)) | (deleted & declared - self.removed_for_good))
        if wrongly:
            problems.append(f"deleted although protected or still declared: {wrongly[:5]}")
        missing = sorted((self.protected | self.keep) - world)
        if missing:
            problems.append(f"protected resources missing from the world: {missing[:5]}")
        print(f"soak: journal {len(events)} entries, {sum(creates.values())} creates, {sum(deletes.values())} deletes; "
              f"inventory {len(inventory)}, world {len(world)}; {len(self.removed_for_good)} removed from the manifests on purpose")
        self.report_memory()
        for problem in problems:
            print(f"soak: FAILED: {problem}", file=sys.stderr)
        if not problems:
            print("soak: every check passed")
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"soak: logs kept in {self.work}", file=sys.stderr)
        return not problems

    def report_memory(self):
        longest = max(self.incarnations, key=lambda inc: len(inc[1]))[1]
        samples = [(t, kib) for t, kib in longest if t - longest[0][0] >= 5] if longest else []
        if len(samples) < 3:
            print("soak: resident memory: too few samples for a slope")
            return
        t0 = samples[0][0]
        xs = [(t - t0) / 60 for t, _ in samples]
        ys = [kib for _, kib in samples]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
        print(f"soak: resident memory of the longest-lived daemon ({len(self.incarnations)} started): "
              f"{ys[0] / 1024:.1f} MiB -> {ys[-1] / 1024:.1f} MiB over {xs[-1]:.1f} min, slope {slope:+.0f} KiB/min")
        # The shape tells a leak (even steps) from warm-up (steps that shrink): each fifth of the run.
        fifths = [ys[min(len(ys) - 1, round(i * (len(ys) - 1) / 5))] / 1024 for i in range(6)]
        print("soak: resident memory at each fifth of its life: " + " ".join(f"{v:.1f}" for v in fifths) + " MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--resources", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    # One daemon for the whole run: every other fault, no kill -9, so that the resident memory's
    # slope is measured over the whole duration.
    parser.add_argument("--no-kill", action="store_true")
    # Only to see the checks fail: with no prune delay, a half-written file prunes what it still declares.
    parser.add_argument("--daemon-prune-delay", default=f"{PRUNE_DELAY}s", help=argparse.SUPPRESS)
    args = parser.parse_args()
    soak = Soak(args)
    try:
        ok = soak.run()
    finally:
        if soak.running():
            soak.kill9()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
