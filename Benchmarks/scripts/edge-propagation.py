#!/usr/bin/env python3
"""Pull sites at scale: a hub (`ballast watch`, release build) with SITES pull sites, each with
one Workload placed by a label selector, and an agent long-polling for every site.

REAL of the agents are real `ballast agent` processes (their own states, sim provider, a 1 s
heartbeat); the rest are a load driver speaking the agent protocol (one asyncio task per site:
a long-poll, and a report every --report-every seconds, with the admin token).

Measured, in one run:
  - propagation: from the manifest edit (the rename of the file) to the new generation arriving
    at each agent: p50, p99 and the slowest, for the driver's agents and for the real ones
    (their "accepted a new desired state" log line), and for the real agents the time until the
    hub shows the generation applied (their report, at a 1 s heartbeat);
  - idle cost: the hub's CPU (share of one core) and resident memory over --idle seconds with
    every agent connected and nothing changing, and the bytes each driver agent sent and
    received per idle minute;
  - staleness: a real agent killed with SIGKILL, the time until the hub shows its site stale
    (hub --agent-heartbeat 1s).

  Benchmarks/scripts/edge-propagation.py [--sites 1000] [--real 10] [--idle 60]
"""
import argparse, asyncio, json, os, re, resource, signal, statistics, subprocess, sys, tempfile, time, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))

parser = argparse.ArgumentParser()
parser.add_argument("--sites", type=int, default=1000)
parser.add_argument("--real", type=int, default=10)
parser.add_argument("--idle", type=int, default=60)
parser.add_argument("--report-every", type=float, default=10.0)
parser.add_argument("--ballast", default=None, help="a ballast binary (default: build the release one)")
args = parser.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

if args.ballast:
    ballast = args.ballast
else:
    subprocess.run(["swift", "build", "-c", "release", "--product", "ballast"], cwd=root, check=True, stdout=subprocess.DEVNULL)
    ballast = os.path.join(root, ".build/release/ballast")
work = tempfile.mkdtemp(prefix="ballast-edge-bench.")
manifests = os.path.join(work, "manifests")
os.makedirs(manifests)
names = [f"edge-{index:04d}" for index in range(args.sites)]
with open(os.path.join(manifests, "sites.yaml"), "w") as f:
    for name in names:
        f.write(f"apiVersion: ballast.dev/v1\nkind: Site\nmetadata: {{ name: {name}, labels: {{ tier: edge }} }}\n"
                "spec: { class: edge, provider: sim, mode: pull }\n---\n")
def workload(image):
    return ("apiVersion: ballast.dev/v1\nkind: Workload\nmetadata: { name: cache }\n"
            f"spec:\n  placement: {{ selector: {{ matchLabels: {{ tier: edge }} }} }}\n  image: {image}\n  replicas: 2\n")
with open(os.path.join(manifests, "cache.yaml"), "w") as f:
    f.write(workload("cache:1"))

state = os.path.join(work, "state")
admin = "bench-admin-token"
hub_out = open(os.path.join(work, "hub.out"), "w+")
hub = subprocess.Popen([ballast, "watch", manifests, "--state", state, "--listen", "127.0.0.1:0", "--agent-heartbeat", "1s", "--resync", "1h", "--log-format", "json"],
                       stdout=hub_out, stderr=open(os.path.join(work, "hub.err"), "w"), env=dict(os.environ, BALLAST_TOKEN=admin))
processes = [hub]

def cleanup():
    for process in processes:
        if process.poll() is None:
            process.kill()
signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(1)))

def wait_for(path, pattern, process, what, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = open(path).read()
        match = re.search(pattern, text)
        if match:
            return match
        if process.poll() is not None:
            sys.exit(f"{what} stopped: " + open(path.replace(".out", ".err")).read()[-2000:])
        time.sleep(0.1)
    sys.exit(f"{what}: timed out")

try:
    url = wait_for(hub_out.name, r"listening on (http://[0-9.:]+)", hub, "the hub").group(1)
    wait_for(hub_out.name, r"ballast watch: started", hub, "the hub")
    host, port = url[len("http://"):].split(":")
    port = int(port)
    print(f"edge-propagation: hub with {args.sites} pull sites at {url}; {args.real} real agents, {args.sites - args.real} driven", flush=True)

    def sites_document():
        request = urllib.request.Request(url + "/v1/sites", headers={"Authorization": "Bearer " + admin})
        with urllib.request.urlopen(request, timeout=30) as response:
            return {site["name"]: site for site in json.load(response)["sites"]}

    # The real agents, each with its own token and state.
    real = names[:args.real]
    agents = {}
    for name in real:
        token = subprocess.run([ballast, "token", "create", "--site", name, "--state", state], capture_output=True, text=True, check=True).stdout.strip()
        token_file = os.path.join(work, name + ".token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        out = os.path.join(work, f"agent-{name}.out")
        err = os.path.join(work, f"agent-{name}.err")
        agents[name] = (subprocess.Popen([ballast, "agent", "--hub", url, "--site", name, "--token-file", token_file, "--state", os.path.join(work, "agent-" + name),
                                          "--listen", "127.0.0.1:0", "--heartbeat", "1s", "--log-format", "json"],
                                         stdout=open(out, "w"), stderr=open(err, "w")), out, err)
        processes.append(agents[name][0])
    for name, (process, out, err) in agents.items():
        wait_for(out, r"ballast agent: started", process, f"agent {name}")

    # The driven agents: a long-poll and a report every few seconds each, counting bytes.
    driven = names[args.real:]
    arrivals = {}
    traffic = {"sent": 0, "received": 0}
    generation = {name: 0 for name in driven}

    async def call(method, path, body=b""):
        reader, writer = await asyncio.open_connection(host, port)
        request = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        writer.write(request)
        traffic["sent"] += len(request)
        data = await reader.read()
        traffic["received"] += len(data)
        writer.close()
        head, _, payload = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, payload

    async def long_poll(name):
        while True:
            try:
                status, payload = await call("GET", f"/v1/agents/{name}/desired?after={generation[name]}&wait=60s")
                if status != 200:
                    await asyncio.sleep(1)
                    continue
                answer = json.loads(payload)
                if answer.get("changed"):
                    generation[name] = answer["generation"]
                    arrivals.setdefault((name, answer["generation"]), time.time())
            except (OSError, ValueError):
                await asyncio.sleep(1)

    async def report(name):
        await asyncio.sleep(args.report_every * (hash(name) % 1000) / 1000)
        while True:
            body = json.dumps({"protocolVersion": 1, "site": name, "instance": "driver/" + name, "appliedGeneration": generation[name],
                               "heldGeneration": generation[name], "resources": [], "outputs": {}, "journal": [], "error": None}).encode()
            try:
                await call("POST", f"/v1/agents/{name}/report", body)
            except OSError:
                pass
            await asyncio.sleep(args.report_every)

    def cpu_seconds(pid):
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(pid):
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0

    def percentile(values, fraction):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]

    def accepted_at(out_or_err, generation_wanted):
        for line in open(out_or_err):
            if "accepted a new desired state" not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if str(entry.get("generation")) == str(generation_wanted):
                stamp = entry.get("time")
                if stamp:
                    from datetime import datetime
                    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        return None

    async def main():
        tasks = [asyncio.create_task(long_poll(name)) for name in driven] + [asyncio.create_task(report(name)) for name in driven]
        # Everyone connected and at generation 1.
        deadline = time.time() + 120
        while time.time() < deadline and not all(generation[name] >= 1 for name in driven):
            await asyncio.sleep(0.2)
        connected = sum(1 for name in driven if generation[name] >= 1)
        print(f"edge-propagation: {connected} driven agents at generation 1", flush=True)
        await asyncio.sleep(3)

        # Idle: nothing changes.
        cpu_before, bytes_before, started = cpu_seconds(hub.pid), traffic["sent"] + traffic["received"], time.time()
        await asyncio.sleep(args.idle)
        elapsed = time.time() - started
        cpu = (cpu_seconds(hub.pid) - cpu_before) / elapsed
        per_agent = (traffic["sent"] + traffic["received"] - bytes_before) / max(1, len(driven)) / (elapsed / 60)
        print(f"edge-propagation: idle {elapsed:.0f} s with {args.sites} agents: hub CPU {cpu * 100:.1f}% of a core, RSS {rss_mib(hub.pid):.0f} MiB; "
              f"{per_agent:.0f} bytes per driven agent per idle minute (a long-poll per minute, a report every {args.report_every:.0f} s)", flush=True)

        # The edit: every site's desired state changes at once.
        temporary = os.path.join(manifests, ".cache.yaml.tmp")
        with open(temporary, "w") as f:
            f.write(workload("cache:2"))
        edited = time.time()
        os.rename(temporary, os.path.join(manifests, "cache.yaml"))
        deadline = time.time() + 120
        while time.time() < deadline and not all((name, 2) in arrivals for name in driven):
            await asyncio.sleep(0.05)
        delays = [arrivals[(name, 2)] - edited for name in driven if (name, 2) in arrivals]
        if delays:
            print(f"edge-propagation: edit to arrival at {len(delays)} driven agents: p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, slowest {max(delays) * 1000:.0f} ms", flush=True)
        # Split at the hub's publication: before it, the directory poll (1 s), the settle time
        # (250 ms), loading, planning and making the bundles; after it, the answers going out.
        published = None
        from datetime import datetime
        for line in open(os.path.join(work, "hub.err")):
            if "pull site desired state published" in line:
                try:
                    entry = json.loads(line)
                    if str(entry.get("generation")) == "2":
                        published = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
                        break
                except (ValueError, KeyError):
                    pass
        if published and delays:
            since = [arrivals[(name, 2)] - published for name in driven if (name, 2) in arrivals]
            print(f"edge-propagation: the hub published {(published - edited) * 1000:.0f} ms after the edit; publication to arrival at {len(since)} driven agents: "
                  f"p50 {percentile(since, 0.5) * 1000:.0f} ms, p99 {percentile(since, 0.99) * 1000:.0f} ms", flush=True)
        applied = {}
        while time.time() < deadline and len(applied) < len(real):
            document = await asyncio.to_thread(sites_document)
            for name in real:
                agent = document.get(name, {}).get("agent") or {}
                if agent.get("appliedGeneration") == 2 and name not in applied:
                    applied[name] = time.time() - edited
            await asyncio.sleep(0.1)
        accepted = [at - edited for at in (accepted_at(agents[name][2], 2) for name in real) if at]
        if accepted:
            print(f"edge-propagation: edit to arrival at {len(accepted)} real agents: p50 {percentile(accepted, 0.5) * 1000:.0f} ms, slowest {max(accepted) * 1000:.0f} ms", flush=True)
        if applied:
            values = list(applied.values())
            print(f"edge-propagation: edit to applied, as the hub shows it, at {len(values)} real agents (1 s heartbeat): p50 {percentile(values, 0.5) * 1000:.0f} ms, "
                  f"slowest {max(values) * 1000:.0f} ms", flush=True)

        # Staleness: one real agent killed.
        victim = real[0]
        agents[victim][0].kill()
        killed = time.time()
        while time.time() - killed < 60:
            document = await asyncio.to_thread(sites_document)
            if (document.get(victim, {}).get("agent") or {}).get("stale"):
                print(f"edge-propagation: a killed agent's site stale after {time.time() - killed:.1f} s (hub --agent-heartbeat 1s: three missed reports)", flush=True)
                break
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()

    asyncio.run(main())
finally:
    cleanup()
