#!/usr/bin/env python3
"""Watch replicas on PostgreSQL, measured side by side in one run:

  - idle load on the database: transactions per second per replica (pg_stat_database);
  - heal latency with N replicas and with 1 (ballast_time_to_heal_seconds, summed over replicas);
  - takeover after kill -9 and handover after SIGTERM, p50 and p99 over --kills and --terms
    rounds, on the database's clock: from the victim's last heartbeat (kill -9) or from the
    signal (SIGTERM) to the last of its sites granted to another replica.

A throwaway PostgreSQL cluster is started here on 127.0.0.1 (initdb as the postgres user when
run as root), with the hybrid example plus --extra-sites sim sites.

  Benchmarks/scripts/replica-takeover.py [--ballast .build/release/ballast] [--replicas 3]
      [--kills 20] [--terms 20] [--drifts 50] [--idle 30] [--ttl 3s] [--interval 1s]
"""
import argparse, glob, json, os, random, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(command):
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + command


class Postgres:
    def __init__(self, work):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
        self.bin = found[-1] if found else os.path.dirname(shutil.which("initdb"))
        self.dir = os.path.join(work, "pg")
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(work, "postgres")
        subprocess.run(as_postgres([self.bin + "/initdb", "-D", self.dir, "-A", "trust", "-U", "postgres"]), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(as_postgres([self.bin + "/pg_ctl", "-D", self.dir, "-l", os.path.join(work, "pg.log"), "-w", "-o",
                                    f"-p {self.port} -k {work} -c listen_addresses=127.0.0.1", "start"]), check=True, stdout=subprocess.DEVNULL)
        self.sql("CREATE DATABASE ballast")

    def sql(self, statement, database="postgres"):
        out = subprocess.run([self.bin + "/psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-c", statement],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self):
        subprocess.run(as_postgres([self.bin + "/pg_ctl", "-D", self.dir, "-m", "fast", "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Replica:
    def __init__(self, bench, rid):
        self.id = rid
        out = os.path.join(bench.work, rid + ".out")
        self.err = os.path.join(bench.work, rid + ".err")
        self.process = subprocess.Popen(
            [bench.ballast, "watch", bench.manifests, "--listen", "127.0.0.1:0", "--replica-id", rid, "--replica-ttl", bench.ttl,
             "--replica-interval", bench.interval, "--lock-timeout", "30s"],
            env=bench.env, stdout=open(out, "w"), stderr=open(self.err, "a"))
        deadline = time.time() + 60
        self.url = None
        while time.time() < deadline:
            text = open(out).read()
            match = re.search(r"listening on (http://\S+)", text)
            if match and "started" in text:
                self.url = match.group(1)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"replica {rid} did not start:\n{open(self.err).read()[-2000:]}")

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read().decode()

    def replicas(self):
        return json.loads(self.get("/v1/replicas"))


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="ballast-replicas.")
        self.ballast = os.path.abspath(args.ballast)
        self.ttl, self.interval = args.ttl, args.interval
        self.pg = Postgres(self.work)
        self.manifests = os.path.join(self.work, "manifests")
        shutil.copytree(os.path.join(ROOT, "manifests/examples/hybrid"), self.manifests)
        docs = []
        for i in range(args.extra_sites):
            docs.append(f"apiVersion: ballast.dev/v1\nkind: Site\nmetadata: {{ name: extra-{i:02d} }}\nspec: {{ class: edge, provider: sim, config: {{ latencyMs: 1 }} }}\n")
            docs.append(f"apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {{ name: b{i}, site: extra-{i:02d} }}\nspec: {{ storageClass: standard }}\n")
        open(os.path.join(self.manifests, "extra.yaml"), "w").write("---\n".join(docs))
        self.sites = 6 + args.extra_sites
        self.env = dict(os.environ, BALLAST_STATE=f"postgres://postgres@127.0.0.1:{self.pg.port}/ballast?sslmode=disable",
                        BALLAST_DATA=os.path.join(self.work, "data"), BALLAST_TOKEN="bench", NO_COLOR="1")
        self.replicas = {}

    def cli(self, *arguments):
        return subprocess.run([self.ballast, *arguments], env=self.env, capture_output=True, text=True)

    def start(self, rid):
        self.replicas[rid] = Replica(self, rid)

    def balanced(self, owners_expected, observer):
        try:
            view = self.replicas[observer].replicas()
        except Exception:
            return False
        owners = [site["owner"] for site in view["sites"]]
        if len(owners) != self.sites or None in owners or set(owners) != set(owners_expected):
            return False
        loads = [owners.count(o) for o in owners_expected]
        return max(loads) - min(loads) <= 1

    def wait(self, condition, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False

    def db_time(self, expression):
        return float(self.pg.sql(f"SELECT extract(epoch FROM {expression})", "ballast"))

    def last_granted(self, sites):
        keys = ",".join(f"'{s}'" for s in sites)
        return self.db_time(f"(SELECT max(acquired_at) FROM ballast.site_lease WHERE key IN ({keys}))")

    def heal_totals(self):
        total, count = 0.0, 0
        for replica in self.replicas.values():
            metrics = replica.get("/metrics")
            for line in metrics.splitlines():
                if line.startswith("ballast_time_to_heal_seconds_sum"):
                    total += float(line.split()[-1])
                elif line.startswith("ballast_time_to_heal_seconds_count"):
                    count += int(float(line.split()[-1]))
        return total, count

    def drifts(self, count):
        before = self.heal_totals()
        for i in range(count):
            bucket = i % self.args.extra_sites
            value = "archive" if (i // self.args.extra_sites) % 2 == 0 else "infrequent"
            self.cli("sim", "drift", f"Bucket/b{bucket}@extra-{bucket:02d}", f"storageClass={value}")
            self.wait(lambda: self.heal_totals()[1] > before[1] + i, timeout=30)
        after = self.heal_totals()
        healed = after[1] - before[1]
        return (after[0] - before[0]) / healed if healed else float("nan"), healed

    def stop_all(self):
        for replica in self.replicas.values():
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas.values():
            try:
                replica.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.process.kill()
        self.replicas = {}


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", default=os.path.join(ROOT, ".build/release/ballast"))
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--extra-sites", type=int, default=24)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--terms", type=int, default=20)
    parser.add_argument("--drifts", type=int, default=50)
    parser.add_argument("--idle", type=int, default=30)
    parser.add_argument("--ttl", default="3s")
    parser.add_argument("--interval", default="1s")
    args = parser.parse_args()
    if not os.path.exists(args.ballast):
        subprocess.run(["swift", "build", "-c", "release", "--product", "ballast"], cwd=ROOT, check=True)
    bench = Bench(args)
    random.seed(1)
    try:
        ids = [f"r{i}" for i in range(1, args.replicas + 1)]
        for rid in ids:
            bench.start(rid)
        assert bench.wait(lambda: bench.balanced(ids, ids[0])), "the replicas did not share the sites"
        assert bench.wait(lambda: len(json.loads(bench.cli("sim", "ls", "-o", "json").stdout)["resources"]) == 21 + args.extra_sites, 120)
        print(f"ballast {args.ballast}; {args.replicas} replicas, {bench.sites} sites, ttl {args.ttl}, interval {args.interval}")

        commits = lambda: int(bench.pg.sql("SELECT xact_commit FROM pg_stat_database WHERE datname = 'ballast'"))
        # Let start-up settle (the first reconciles, rebalancing) before measuring what idling costs.
        time.sleep(10)
        first, started = commits(), time.time()
        time.sleep(args.idle)
        rate = (commits() - first) / (time.time() - started)
        print(f"idle database load: {rate:.2f} transactions/s in all, {rate / args.replicas:.2f} per replica (over {args.idle} s)")

        mean, healed = bench.drifts(args.drifts)
        print(f"heal latency with {args.replicas} replicas: mean {mean * 1000:.1f} ms over {healed} heals (ballast_time_to_heal_seconds)")

        takeovers = []
        for round_ in range(args.kills):
            victim = random.choice(ids)
            view = bench.replicas[ids[0] if victim != ids[0] else ids[1]].replicas()
            orphaned = [site["name"] for site in view["sites"] if site["owner"] == victim]
            survivors = [r for r in ids if r != victim]
            bench.replicas[victim].process.send_signal(signal.SIGKILL)
            bench.replicas[victim].process.wait()
            assert bench.wait(lambda: bench.balanced(survivors, survivors[0]), 60), "no takeover"
            last_seen = bench.db_time(f"(SELECT last_seen FROM ballast.replica WHERE id = '{victim}')")
            takeovers.append(bench.last_granted(orphaned) - last_seen)
            bench.start(victim)
            assert bench.wait(lambda: bench.balanced(ids, ids[0]), 60), "the restarted replica got no share"
        handovers = []
        for round_ in range(args.terms):
            leaving = random.choice(ids)
            staying = [r for r in ids if r != leaving]
            view = bench.replicas[staying[0]].replicas()
            handed = [site["name"] for site in view["sites"] if site["owner"] == leaving]
            signalled = bench.db_time("now()")
            bench.replicas[leaving].process.send_signal(signal.SIGTERM)
            assert bench.wait(lambda: bench.balanced(staying, staying[0]), 60), "no handover"
            handovers.append(bench.last_granted(handed) - signalled)
            bench.replicas[leaving].process.wait(timeout=30)
            bench.start(leaving)
            assert bench.wait(lambda: bench.balanced(ids, ids[0]), 60), "the restarted replica got no share"
        if takeovers:
            print(f"takeover after kill -9 ({len(takeovers)}): p50 {percentile(takeovers, 0.5):.2f} s, p99 {percentile(takeovers, 0.99):.2f} s, max {max(takeovers):.2f} s (ttl + interval + 1 s is the bound)")
        if handovers:
            print(f"handover after SIGTERM ({len(handovers)}): p50 {percentile(handovers, 0.5) * 1000:.0f} ms, p99 {percentile(handovers, 0.99) * 1000:.0f} ms")

        bench.stop_all()
        bench.start("solo")
        assert bench.wait(lambda: bench.balanced(["solo"], "solo"), 60)
        mean, healed = bench.drifts(args.drifts)
        print(f"heal latency with 1 replica: mean {mean * 1000:.1f} ms over {healed} heals")
    finally:
        bench.stop_all()
        bench.pg.stop()
        shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
