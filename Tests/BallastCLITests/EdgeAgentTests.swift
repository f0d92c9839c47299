import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// Makes edge-berlin of the hybrid example a pull site.
private func berlinPulls(_ text: String) -> String {
    text.replacingOccurrences(
        of: "name: edge-berlin\n  labels: { class: edge, region: eu, tier: edge }\nspec:\n  class: edge\n",
        with: "name: edge-berlin\n  labels: { class: edge, region: eu, tier: edge }\nspec:\n  class: edge\n  mode: pull\n")
}

/// A hub (`ballast watch` on the hybrid example with edge-berlin pulled) and what its agents need.
private struct Hub {
    let daemon: Daemon
    let heartbeat = "1s"

    init(listen: String = "127.0.0.1:0", arguments: [String] = []) async throws {
        daemon = try await Daemon(arguments: ["--agent-heartbeat", heartbeat, "--prune-delay", "1s"] + arguments, listen: listen, edit: berlinPulls)
    }

    /// A token for `site`, written to a file the agent reads.
    func tokenFile(site: String, name: String? = nil) async throws -> String {
        let result = try await daemon.cli(["token", "create", "--site", site] + (name.map { [$0] } ?? []))
        #expect(result.exitCode == 0, "\(result.stderr)")
        let path = daemon.directory.file("\(name ?? site).token")
        try Data(result.stdout.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func site(_ name: String) async throws -> Fields? {
        let reply = try await daemon.watch.send("GET", "/v1/sites", headers: ["Authorization": "Bearer \(daemon.watch.token)"])
        guard case .map(let document)? = reply.json, case .list(let sites)? = document["sites"] else { return nil }
        for case .map(let site) in sites where site["name"]?.stringValue == name { return site }
        return nil
    }

    func agent(_ name: String) async throws -> Fields? {
        guard case .map(let agent)? = try await site(name)?["agent"] else { return nil }
        return agent
    }
}

/// The agent's sim world line for `id`, from its own state.
private func world(_ runner: CLIRunner, state: String, _ id: String) async throws -> String? {
    try await runner.run(["sim", "ls", "--state", state]).stdout.split(separator: "\n").first { $0.hasPrefix(id + " ") }.map(String.init)
}

/// The actions of every journal entry of a state, oldest first.
private func journalActions(_ runner: CLIRunner, state: String) async throws -> [String] {
    let output = try await runner.run(["events", "-o", "json", "--state", state]).stdout
    guard case .map(let fields) = try JSONValueParser.parse(output), case .list(let events)? = fields["events"] else { return [] }
    return events.compactMap { event in
        guard case .map(let entry) = event else { return nil }
        return entry["action"]?.stringValue
    }
}

@Suite("Edge agents", .serialized)
struct EdgeAgentTests {
    @Test func anAgentRunsItsSiteFollowsTheHubAndKeepsHealingWhileTheHubIsDown() async throws {
        let hub = try await Hub()
        defer { Task { await hub.daemon.stop() } }
        let runner = hub.daemon.runner
        let token = try await hub.tokenFile(site: "edge-berlin")
        let agentState = hub.daemon.directory.file("agent")
        var agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: agentState, directory: hub.daemon.directory.path,
            arguments: ["--prune-delay", "1s"])
        let cache = "Workload/edge-cache@edge-berlin"
        // The agent applied its site; the hub never touched it.
        #expect(try await world(runner, state: agentState, cache) != nil, "\(agent.standardError)")
        #expect(try await hub.daemon.world(cache) == nil, "the hub never calls a pull site's provider")
        #expect(try await hub.daemon.world("Workload/edge-cache@edge-paris") != nil, "push sites are unchanged")
        // Its reports reach the hub: the site is fresh and its resources Ready, as the agent says.
        #expect(try await WatchProcess.eventually { try await hub.daemon.watch.condition("Ready", of: cache)?.status == "True" })
        let fresh = try #require(try await hub.agent("edge-berlin"))
        #expect(fresh["stale"] == .bool(false))
        #expect(fresh["desiredGeneration"] == .int(1) && fresh["appliedGeneration"] == .int(1), "\(fresh)")
        #expect(try await hub.site("edge-berlin")?["mode"] == .string("pull"))
        let status = try await runner.run(["status", "--server", hub.daemon.watch.baseURL]).stdout
        #expect(status.contains("pull: agent reported"), "\(status)")

        // An edit on the hub reaches the agent at once (a long-poll, no interval) and is applied.
        let edge = try String(contentsOfFile: hub.daemon.manifests + "/edge.yaml", encoding: .utf8)
        try hub.daemon.writeManifest("edge.yaml", edge.replacingOccurrences(of: "edge-cache:2.4.1", with: "edge-cache:2.5.0"))
        #expect(try await WatchProcess.eventually { try await world(runner, state: agentState, cache)?.contains("2.5.0") == true })
        #expect(try await WatchProcess.eventually { try await hub.agent("edge-berlin")?["appliedGeneration"] == .int(2) })

        // Drift at the edge is healed by the agent.
        _ = try await runner.run(["sim", "drift", cache, "image=tampered", "--state", agentState])
        #expect(try await WatchProcess.eventually { try await world(runner, state: agentState, cache)?.contains("2.5.0") == true })

        // The hub dies. The agent keeps healing alone, also after its own restart, for 30 s.
        hub.daemon.watch.process.send(SIGKILL)
        _ = await hub.daemon.watch.process.exit(within: .seconds(10))
        let downSince = ContinuousClock.now
        _ = try await runner.run(["sim", "delete", cache, "--state", agentState])
        #expect(try await WatchProcess.eventually { try await world(runner, state: agentState, cache) != nil }, "a vanished resource is recreated with no hub")
        #expect(await agent.terminate() == 0)
        agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: agentState, directory: hub.daemon.directory.path,
            arguments: ["--prune-delay", "1s"])
        #expect(agent.standardOutput.contains("starting from generation 2"))
        try await Task.sleep(until: downSince + .seconds(25))
        _ = try await runner.run(["sim", "drift", cache, "image=tampered-again", "--state", agentState])
        #expect(try await WatchProcess.eventually { try await world(runner, state: agentState, cache)?.contains("2.5.0") == true })
        try await Task.sleep(until: downSince + .seconds(30))

        // The hub comes back: the agent reports again and the site is fresh; nothing was deleted.
        // On the same address: the agent knows no other.
        try FileManager.default.createDirectory(atPath: hub.daemon.directory.file("again"), withIntermediateDirectories: true)
        let restarted = try await WatchProcess(
            cli: runner, arguments: [hub.daemon.manifests, "--state", hub.daemon.state, "--agent-heartbeat", "1s"], directory: hub.daemon.directory.file("again"),
            listen: String(hub.daemon.watch.baseURL.dropFirst("http://".count)))
        defer { Task { _ = await restarted.terminate() } }
        #expect(try await WatchProcess.eventually {
            guard case .map(let document)? = try await restarted.get("/v1/sites").json, case .list(let sites)? = document["sites"] else { return false }
            return sites.contains { site in
                guard case .map(let fields) = site, fields["name"]?.stringValue == "edge-berlin", case .map(let agent)? = fields["agent"] else { return false }
                return agent["stale"] == .bool(false) && agent["appliedGeneration"] == .int(2) && agent["desiredGeneration"] == .int(2)
            }
        }, "the restarted hub continues the generations and sees the agent again")
        let actions = try await journalActions(runner, state: agentState)
        #expect(actions.contains("create"), "the journal was read: \(actions)")
        #expect(!actions.contains("delete"), "losing the hub deleted nothing")
        #expect(await agent.terminate() == 0)
    }

    @Test func aStoppedAgentMakesItsSiteStaleAndItsResourcesUnknownAndASecondAgentIsCalledOut() async throws {
        let hub = try await Hub()
        defer { Task { await hub.daemon.stop() } }
        let token = try await hub.tokenFile(site: "edge-berlin")
        let agent = try await AgentProcess(
            cli: hub.daemon.runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: hub.daemon.directory.file("agent"),
            directory: hub.daemon.directory.path)
        let cache = "Workload/edge-cache@edge-berlin"
        #expect(try await WatchProcess.eventually { try await hub.daemon.watch.condition("Ready", of: cache)?.status == "True" })
        func consoleRow() async throws -> String {
            let page = try await hub.daemon.watch.get("/").body
            return page.components(separatedBy: "<tr>").first { $0.contains(">edge-berlin</a></th>") } ?? ""
        }
        #expect(try await consoleRow().contains("pull · agent seen <time"), "the console shows when the agent last reported")
        // A second agent on the same site (another machine, a copied unit file) is called out.
        let second = try await AgentProcess(
            cli: hub.daemon.runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: hub.daemon.directory.file("second"),
            directory: hub.daemon.directory.path)
        #expect(try await WatchProcess.eventually { try await hub.agent("edge-berlin")?["error"]?.stringValue?.contains("more than one agent reports for this site") == true })
        await second.kill9()
        await agent.kill9()
        // Three heartbeats of 1 s, checked every half heartbeat: stale within 4 s.
        #expect(try await WatchProcess.eventually(timeout: .seconds(8)) { try await hub.agent("edge-berlin")?["stale"] == .bool(true) })
        let ready = try await hub.daemon.watch.condition("Ready", of: cache)
        #expect(ready?.status == "Unknown" && ready?.reason == "AgentStale", "never Ready from an old report: \(String(describing: ready))")
        #expect(try await hub.site("edge-berlin")?["up"] == .bool(false))
        let row = try await consoleRow()
        #expect(row.contains(">stale</span>") && row.contains("pull · agent seen"), "\(row)")
        let metrics = try await hub.daemon.watch.get("/metrics").body
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("ballast_agent_stale{site=\"edge-berlin\"} 1") }, "\(metrics.split(separator: "\n").filter { $0.contains("agent") })")
    }

    @Test func aSiteHeldForAnotherSitesOutputIsPublishedOnceTheOutputExists() async throws {
        let hub = try await Hub()
        defer { Task { await hub.daemon.stop() } }
        let runner = hub.daemon.runner
        let agentState = hub.daemon.directory.file("agent")
        let agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: try await hub.tokenFile(site: "edge-berlin"), state: agentState,
            directory: hub.daemon.directory.path)
        defer { Task { _ = await agent.terminate() } }
        // A new edge function needs the URL of a bucket on a cloud site that is down: the site's
        // next desired state is held (never sent without the function).
        try await hub.daemon.cli(["sim", "outage", "eu-central", "on"])
        try hub.daemon.writeManifest("late.yaml", """
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: late, site: eu-central }
            spec: {}
            ---
            apiVersion: ballast.dev/v1
            kind: EdgeFunction
            metadata: { name: late-fn, site: edge-berlin }
            spec: { runtime: javascript, code: "export default () => 1", env: { ASSETS: "${Bucket/late@eu-central.outputs.url}" } }

            """)
        #expect(try await WatchProcess.eventually { try await hub.agent("edge-berlin")?["waiting"].map { JSONText.string($0).contains("Bucket/late@eu-central") } == true })
        #expect(try await hub.agent("edge-berlin")?["desiredGeneration"] == .int(1))
        // The cloud site comes back and the hub creates the bucket: the held state goes out with
        // no further edit.
        try await hub.daemon.cli(["sim", "outage", "eu-central", "off"])
        #expect(try await WatchProcess.eventually(timeout: .seconds(40)) { try await world(runner, state: agentState, "EdgeFunction/late-fn@edge-berlin") != nil })
        #expect(try await hub.agent("edge-berlin")?["desiredGeneration"] == .int(2))
    }

    @Test func aCloudRecordWaitsForAnEdgeFunctionsURLUntilTheAgentReportsIt() async throws {
        let link = """
            apiVersion: ballast.dev/v1
            kind: EdgeFunction
            metadata: { name: link-fn, site: edge-berlin }
            spec: { runtime: javascript, code: "export default () => 1" }
            ---
            apiVersion: ballast.dev/v1
            kind: DNSRecord
            metadata: { name: link, site: eu-central }
            spec: { zone: example.com, record: link, type: CNAME, value: "${EdgeFunction/link-fn@edge-berlin.outputs.url}" }

            """
        let record = "DNSRecord/link@eu-central"

        // A one-off apply with no agent report: everything else is applied, the record is not,
        // and the run exits 1 naming it.
        let workspace = try Workspace(edit: berlinPulls)
        try Data(link.utf8).write(to: URL(fileURLWithPath: workspace.manifests + "/link.yaml"))
        let applied = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(applied.exitCode == 1)
        #expect(applied.stdout.contains("Waiting for pull sites' agents to report outputs"), "\(applied.stdout)")
        #expect(applied.stderr.contains("1 resource waits for outputs that pull sites' agents have not reported (\(record))"), "\(applied.stderr)")
        let world = try await workspace.run(["sim", "ls"]).stdout
        #expect(world.contains("Bucket/backups@eu-central"), "what needs no report was applied")
        #expect(!world.contains(record))

        // On the hub daemon the record waits, with a condition that says so, and is applied with
        // the function's URL once the agent reports it.
        let hub = try await Hub()
        defer { Task { await hub.daemon.stop() } }
        let runner = hub.daemon.runner
        try hub.daemon.writeManifest("link.yaml", link)
        let auth = ["Authorization": "Bearer \(hub.daemon.watch.token)"]
        #expect(try await WatchProcess.eventually {
            try await hub.daemon.watch.send("GET", "/v1/resources/\(record)", headers: auth).body.contains("AwaitingAgentOutputs")
        })
        #expect(try await hub.daemon.world(record) == nil)
        let agentState = hub.daemon.directory.file("agent")
        let agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: try await hub.tokenFile(site: "edge-berlin"), state: agentState,
            directory: hub.daemon.directory.path)
        defer { Task { _ = await agent.terminate() } }
        #expect(try await WatchProcess.eventually(timeout: .seconds(40)) { try await hub.daemon.world(record) != nil }, "\(agent.standardError.suffix(2000))")
        let edgeWorld = try await runner.run(["sim", "ls", "-o", "json", "--state", agentState]).stdout
        guard case .map(let edge) = try JSONValueParser.parse(edgeWorld), case .list(let resources)? = edge["resources"],
              let function = resources.compactMap(\.fieldsValue).first(where: { $0["id"]?.stringValue == "EdgeFunction/link-fn@edge-berlin" }),
              let url = function["outputs"]?.fieldsValue?["url"]?.stringValue else {
            Issue.record("the agent's world has no link-fn URL: \(edgeWorld)")
            return
        }
        #expect(try await hub.daemon.world(record)?.contains(url) == true)

        // A one-off plan afterwards reads the stored report: nothing waits, nothing to do.
        _ = await hub.daemon.watch.terminate()
        let plan = try await hub.daemon.cli(["plan", hub.daemon.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 0, "\(plan.stdout)\n\(plan.stderr)")
        #expect(!plan.stdout.contains("Waiting for"))
    }

    @Test func aPluginOnlyTheEdgeHasIsValidatedOnTheHubOnceItsAgentReportsItsSchema() async throws {
        // The ipam example with its data centre made a pull site: the plugin is installed only
        // where the agent runs (BALLAST_PLUGIN_PATH), never on the hub.
        let directory = TemporaryDirectory(prefix: "ballast-edge-plugin")
        defer { directory.remove() }
        let example = try String(contentsOfFile: root + "/manifests/examples/ipam/estate.yaml", encoding: .utf8)
        let estate = example.replacingOccurrences(of: "  provider: plugin:ipam\n", with: "  provider: plugin:ipam\n  mode: pull\n")
        #expect(estate != example)
        directory.write("manifests/estate.yaml", estate)
        let hubCLI = CLIRunner(workingDirectory: root)
        let watch = try await WatchProcess(
            cli: hubCLI, arguments: [directory.file("manifests"), "--state", directory.file("state"), "--agent-heartbeat", "1s"], directory: directory.path)
        defer { Task { _ = await watch.terminate() } }
        #expect(watch.standardError.contains("provider 'plugin:ipam' is not installed here, and no agent of a pull site that uses it has reported its schema yet"), "\(watch.standardError)")
        let token = try await hubCLI.run(["token", "create", "--site", "dc-lab", "--state", directory.file("state")])
        directory.write("dc-lab.token", token.stdout)

        let agentCLI = CLIRunner(workingDirectory: root, environment: ["BALLAST_PLUGIN_PATH": root + "/examples/providers"])
        let agentState = directory.file("agent")
        let agent = try await AgentProcess(
            cli: agentCLI, hub: watch.baseURL, site: "dc-lab", tokenFile: directory.file("dc-lab.token"), state: agentState, directory: directory.path)
        defer { Task { _ = await agent.terminate() } }
        #expect(await WatchProcess.eventually {
            ((try? String(contentsOfFile: agentState + "/ipam/dc-lab.json", encoding: .utf8)) ?? "").contains("web-1.lab.example")
        }, "\(agent.standardError.suffix(2000))")
        let auth = ["Authorization": "Bearer \(watch.token)"]
        func manifests() async throws -> Fields? { try await watch.send("GET", "/v1/manifests", headers: auth).json?.fieldsValue }
        func generation() async throws -> Value? {
            let sites = try await watch.send("GET", "/v1/sites", headers: auth).json?.fieldsValue?["sites"]
            guard case .list(let list)? = sites else { return nil }
            return list.compactMap(\.fieldsValue).first { $0["name"]?.stringValue == "dc-lab" }?["agent"]?.fieldsValue?["desiredGeneration"]
        }
        // The agent's report brings the schema: the hub validates again, and the warning is gone.
        let validated = try await WatchProcess.eventually {
            let current = try await manifests()
            return current?["valid"] == .bool(true) && current?["diagnostics"] == .list([])
        }
        let shown = JSONText.string(.map(try await manifests() ?? Fields()))
        #expect(validated, "\(shown)")
        let before = try await generation()

        // A field the plugin does not have is now an error on the hub, at its own position, and
        // never reaches the agent.
        let typo = estate.replacingOccurrences(of: "  hostname: web-1.lab.example", with: "  hostnme: web-1.lab.example")
        #expect(typo != estate)
        let path = directory.file("manifests/estate.yaml")
        try Data(typo.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        _ = rename(path + ".tmp", path)
        #expect(try await WatchProcess.eventually { try await manifests()?["valid"] == .bool(false) })
        let diagnostics = JSONText.string(try await manifests()?["diagnostics"] ?? .null)
        let line = typo.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("hostnme") }! + 1
        #expect(diagnostics.contains("estate.yaml:\(line):3: error:") && diagnostics.contains("hostnme"), "\(diagnostics)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await generation() == before, "the agent was sent nothing")
    }

    @Test func aKilledProcessAtTheEdgeIsRestartedByTheAgentWhileTheHubIsDown() async throws {
        // A pull site on the host provider: the agent runs a real process on its own machine.
        let directory = TemporaryDirectory(prefix: "ballast-edge-host")
        defer { directory.remove() }
        directory.write("manifests/edge.yaml", """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: kiosk }
            spec: { class: edge, provider: host, mode: pull, config: { root: kiosk-root } }
            ---
            apiVersion: ballast.dev/v1
            kind: Process
            metadata: { name: worker, site: kiosk }
            spec: { command: sleep, args: ["600"] }

            """)
        let runner = CLIRunner(workingDirectory: root)
        let watch = try await WatchProcess(
            cli: runner, arguments: [directory.file("manifests"), "--state", directory.file("state"), "--agent-heartbeat", "1s"], directory: directory.path)
        let token = try await runner.run(["token", "create", "--site", "kiosk", "--state", directory.file("state")])
        directory.write("kiosk.token", token.stdout)
        let agentState = directory.file("agent")
        let agent = try await AgentProcess(
            cli: runner, hub: watch.baseURL, site: "kiosk", tokenFile: directory.file("kiosk.token"), state: agentState, directory: directory.path,
            arguments: ["--resync", "1s"])
        let pidFile = agentState + "/kiosk-root/.ballast-host/Process.worker.pid"
        func pid() -> Int32? { (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") ?? true) }
        defer {
            if let last = pid() { kill(last, SIGKILL) }
            Task { _ = await agent.terminate() }
        }
        #expect(await WatchProcess.eventually { pid().map(alive) == true }, "\(agent.standardError.suffix(2000))")
        let first = try #require(pid())

        // The hub dies; then the process is killed. The agent alone starts it again.
        // A SIGTERM answers the agent's long-poll (60 s) rather than waiting it out.
        #expect(await watch.terminate(timeout: .seconds(15)) == 0, "the hub stops at once, whatever long-polls are under way")
        kill(first, SIGKILL)
        #expect(await WatchProcess.eventually(timeout: .seconds(30)) { pid().map { $0 != first && alive($0) } == true }, "\(agent.standardError.suffix(2000))")
        let journal = try await runner.run(["events", "-o", "json", "--state", agentState]).stdout
        #expect(!journal.contains("\"delete\""), "nothing deleted")
    }

    @Test func anAgentTokenReachesItsOwnSiteAndNothingElse() async throws {
        let hub = try await Hub()
        defer { Task { await hub.daemon.stop() } }
        let berlin = try String(contentsOfFile: try await hub.tokenFile(site: "edge-berlin"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let paris = try String(contentsOfFile: try await hub.tokenFile(site: "edge-paris"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let watch = hub.daemon.watch
        func fetch(_ site: String, _ token: String?) async throws -> Int {
            try await watch.send("GET", "/v1/agents/\(site)/desired", headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:]).status
        }
        #expect(try await fetch("edge-berlin", berlin) == 200)
        #expect(try await fetch("edge-berlin", nil) == 401)
        #expect(try await fetch("edge-berlin", "not-a-token") == 401)
        #expect(try await fetch("edge-berlin", paris) == 403, "a token for site A gets nothing of site B")
        #expect(try await fetch("edge-paris", paris) == 404, "edge-paris is not a pull site")
        let report = try await watch.send("POST", "/v1/agents/edge-berlin/report", body: "{}", headers: ["Authorization": "Bearer \(paris)"])
        #expect(report.status == 403)
        // (On loopback, reads are open to anyone; an agent token changes nothing.)
        #expect(try await watch.send("POST", "/v1/reconcile", body: "{}", headers: ["Authorization": "Bearer \(berlin)"]).status == 403)
        #expect(try await watch.send("POST", "/v1/suspend", headers: ["Authorization": "Bearer \(berlin)"]).status == 403)
        let answer = try #require(try await watch.send("GET", "/v1/agents/edge-berlin/desired", headers: ["Authorization": "Bearer \(berlin)"]).json)
        guard case .map(let fields) = answer, case .map(let bundle)? = fields["bundle"], case .list(let documents)? = bundle["documents"] else {
            Issue.record("no bundle: \(answer)")
            return
        }
        #expect(!JSONText.string(.list(documents)).contains("edge-paris"), "the desired state of one site only")
        // Revoked: refused from the next request on.
        #expect(try await hub.daemon.cli(["token", "revoke", "edge-berlin"]).exitCode == 0)
        #expect(try await fetch("edge-berlin", berlin) == 401)
    }
}

@Suite("Edge agents: partitions and TLS", .serialized)
struct EdgeAgentNetworkTests {
    @Test func aPartitionMakesTheSiteStaleWhileTheAgentHealsAndTheyConvergeAfterIt() async throws {
        // The agent runs in a network namespace of its own, joined to the host by a veth pair;
        // the hub listens on the host's end.
        let namespace: NetworkNamespace
        do {
            namespace = try await offPool { try NetworkNamespace() }
        } catch {
            print("skipped: network namespaces cannot be made here (\(error))")
            return
        }
        let hub = try await Hub(listen: namespace.hostAddress + ":0")
        defer { Task { await hub.daemon.stop() } }
        let runner = hub.daemon.runner
        let agentState = hub.daemon.directory.file("agent")
        let agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: try await hub.tokenFile(site: "edge-berlin"), state: agentState,
            directory: hub.daemon.directory.path, arguments: ["--prune-delay", "1s", "--wait", "5s"], launcher: namespace.launcher)
        defer { Task { _ = await agent.terminate() } }
        let cache = "Workload/edge-cache@edge-berlin"
        #expect(try await WatchProcess.eventually { try await hub.agent("edge-berlin")?["appliedGeneration"] == .int(1) })
        let createsBefore = try await journalActions(runner, state: agentState).count { $0 == "create" }

        // The link drops: the hub calls the site stale within four heartbeats (of 1 s; the bound
        // here is generous for a loaded machine, the figure is printed), and the agent heals alone.
        try await offPool { try namespace.partition() }
        let cut = ContinuousClock.now
        #expect(try await WatchProcess.eventually(timeout: .seconds(15)) { try await hub.agent("edge-berlin")?["stale"] == .bool(true) })
        print("edge partition: the hub called the site stale \(ContinuousClock.now - cut) after the link dropped (heartbeat 1 s)")
        let ready = try await hub.daemon.watch.send("GET", "/v1/resources/\(cache)", headers: ["Authorization": "Bearer \(hub.daemon.watch.token)"])
        #expect(ready.body.contains("AgentStale"), "\(ready.body)")
        _ = try await runner.run(["sim", "delete", cache, "--state", agentState])
        #expect(try await WatchProcess.eventually { try await world(runner, state: agentState, cache) != nil }, "the agent healed during the partition")

        // The link returns: the agent reports again; nothing deleted, nothing created twice.
        try await offPool { try namespace.heal() }
        #expect(try await WatchProcess.eventually(timeout: .seconds(90)) { try await hub.agent("edge-berlin")?["stale"] == .bool(false) }, "\(agent.standardError.suffix(2000))")
        let actions = try await journalActions(runner, state: agentState)
        #expect(!actions.contains("delete"))
        #expect(actions.count { $0 == "create" } == createsBefore + 1, "one create: the resource deleted during the partition")
        #expect(try await hub.daemon.world(cache) == nil, "the hub never acted on the site")
    }

    @Test func anAgentChecksTheHubsCertificate() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-tls")
        defer { directory.remove() }
        // A throwaway CA and a certificate for 127.0.0.1 signed by it, and a second CA.
        func openssl(_ arguments: [String]) async throws {
            let (status, text) = try await offPool { try Subprocess.run(["/usr/bin/openssl"] + arguments) }
            try #require(status == 0, "openssl \(arguments.joined(separator: " ")): \(text)")
        }
        for name in ["ca", "other-ca"] {
            try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(name)", "-keyout", directory.file("\(name).key"), "-out", directory.file("\(name).pem")])
        }
        try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", directory.file("hub.key"), "-out", directory.file("hub.csr")])
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: directory.file("san.ext")))
        try await openssl([
            "x509", "-req", "-in", directory.file("hub.csr"), "-CA", directory.file("ca.pem"), "-CAkey", directory.file("ca.key"), "-CAcreateserial", "-days", "1",
            "-extfile", directory.file("san.ext"), "-out", directory.file("hub.pem"),
        ])
        let hub = try await Hub(arguments: ["--tls-cert", directory.file("hub.pem"), "--tls-key", directory.file("hub.key")])
        defer { Task { await hub.daemon.stop() } }
        #expect(hub.daemon.watch.baseURL.hasPrefix("https://127.0.0.1:"))
        let token = try await hub.tokenFile(site: "edge-berlin")
        let runner = hub.daemon.runner
        // The wrong CA: the agent refuses the hub and applies nothing.
        let refused = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: hub.daemon.directory.file("wrong"),
            directory: hub.daemon.directory.path, arguments: ["--ca", directory.file("other-ca.pem")], waitForStart: false)
        #expect(await WatchProcess.eventually { refused.standardError.contains("cannot reach the hub") })
        #expect(!refused.standardOutput.contains("ballast agent: started"))
        await refused.kill9()
        // The right CA: it runs the site.
        let agent = try await AgentProcess(
            cli: runner, hub: hub.daemon.watch.baseURL, site: "edge-berlin", tokenFile: token, state: hub.daemon.directory.file("right"),
            directory: hub.daemon.directory.path, arguments: ["--ca", directory.file("ca.pem")])
        defer { Task { _ = await agent.terminate() } }
        #expect(try await world(runner, state: hub.daemon.directory.file("right"), "Workload/edge-cache@edge-berlin") != nil)
    }
}

@Suite("Edge agents: a hub that misbehaves")
struct EdgeAgentBadHubTests {
    private static let site = #"{"apiVersion":"ballast.dev/v1","kind":"Site","metadata":{"name":"edge-x"},"spec":{"class":"edge","provider":"sim"}}"#
    private static let bucket = #"{"apiVersion":"ballast.dev/v1","kind":"Bucket","metadata":{"name":"keep","site":"edge-x"},"spec":{"versioning":true}}"#

    private static func answer(generation: Int, digest: Character, documents: [String]) -> String {
        #"{"protocolVersion":1,"site":"edge-x","changed":true,"generation":\#(generation),"digest":"\#(String(repeating: digest, count: 64))","bundle":{"documents":[\#(documents.joined(separator: ","))],"secretReferences":[]},"secrets":{}}"#
    }

    @Test func malformedEmptyAndOlderDesiredStatesAreReportedAndNothingIsDeleted() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-agent")
        defer { directory.remove() }
        let runner = CLIRunner(workingDirectory: Repository.root(from: #filePath))
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let hub = try await FakeHubServer()
        defer { hub.stop() }
        try await hub.answer(Self.answer(generation: 5, digest: "a", documents: [Self.site, Self.bucket]))
        let token = directory.file("token")
        try Data("agent-token\n".utf8).write(to: URL(fileURLWithPath: token))
        let state = directory.file("agent")
        let agent = try await AgentProcess(cli: runner, hub: hub.url, site: "edge-x", tokenFile: token, state: state, directory: directory.path, arguments: ["--prune-delay", "0s"])
        defer { Task { _ = await agent.terminate() } }
        #expect(try await world(runner, state: state, "Bucket/keep@edge-x") != nil)

        let bad: [(String, String)] = [
            ("{not json", "not a JSON object"),
            (#"{"protocolVersion":1,"site":"edge-x","changed":true,"generation":6}"#, "lacks its generation"),
            (Self.answer(generation: 7, digest: "b", documents: [Self.site]), "declares no resources while the site holds some"),
            (Self.answer(generation: 8, digest: "c", documents: [Self.bucket.replacingOccurrences(of: "edge-x", with: "edge-y"), Self.site]), "on a site other than edge-x"),
            (Self.answer(generation: 9, digest: "d", documents: [Self.site, Self.bucket.replacingOccurrences(of: "true", with: "\"yes please\"")]), "does not validate here"),
            (Self.answer(generation: 3, digest: "e", documents: [Self.site]), "lower than the one held here"),
            (#"{"protocolVersion":1,"site":"edge-x","changed":false,"generation":2}"#, "latest generation 2 is lower than the one held here, 5"),
        ]
        for (body, expected) in bad {
            try await hub.answer(body)
            // A liveness bound, not a time limit: malformed answers count as failed fetches, whose
            // backoff doubles (to 30 s at most), and the machine may be loaded.
            let reported = try await WatchProcess.eventually(timeout: .seconds(45)) { try await hub.reports().last?.contains(expected) == true }
            let last = try await hub.reports().last ?? "none"
            #expect(reported, "expected a report saying '\(expected)'; last: \(last)")
            #expect(try await world(runner, state: state, "Bucket/keep@edge-x") != nil, "nothing deleted after: \(expected)")
        }
        let actions = try await journalActions(runner, state: state)
        #expect(actions.contains("create"), "the journal was read: \(actions)")
        #expect(!actions.contains("delete"))
        #expect(try await hub.reports().last?.contains("\"heldGeneration\":5") == true, "the last good generation stays in force")
    }
}
