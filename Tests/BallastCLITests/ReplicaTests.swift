import BallastCore
import BallastTesting
import Foundation
import Testing

/// Several `ballast watch` replicas on one PostgreSQL state, as real processes against a real
/// server: the hybrid example plus 24 extra sim sites (30 in all), leases of 3 s renewed every
/// second.
struct ReplicaSet {
    static let extraSites = 24
    static let sites = 6 + extraSites
    static let resources = 21 + extraSites
    static let ttl: Duration = .seconds(3)
    static let interval: Duration = .seconds(1)

    let workspace: Workspace
    let server: PostgresServer
    let database: String
    private(set) var replicas: [String: WatchProcess] = [:]

    init(server: PostgresServer) async throws {
        self.server = server
        let url = try await offPool { try server.createDatabase() }
        database = String(URL(string: url)!.path.dropFirst())
        workspace = try Workspace(postgres: url)
        workspace.directory.write("manifests/extra.yaml", Self.extraManifests(buckets: true))
    }

    /// The extra sites, each with a bucket unless `buckets` is false.
    static func extraManifests(buckets: Bool) -> String {
        var documents: [String] = []
        for index in 0..<Self.extraSites {
            let site = String(format: "extra-%02d", index)
            documents.append("""
                apiVersion: ballast.dev/v1
                kind: Site
                metadata: { name: \(site) }
                spec: { class: edge, provider: sim, config: { latencyMs: 1 } }

                """)
            if buckets {
                documents.append("""
                    apiVersion: ballast.dev/v1
                    kind: Bucket
                    metadata: { name: b\(index), site: \(site) }
                    spec: { storageClass: standard }

                    """)
            }
        }
        return documents.joined(separator: "---\n")
    }

    /// Starts replica `id` and waits until it has started. `namespace`: run it there, reaching
    /// the database at the namespace's host address.
    mutating func start(_ id: String, in namespace: NetworkNamespace? = nil, arguments: [String] = []) async throws {
        let directory = workspace.directory.file(id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var state = workspace.state
        if let namespace { state = state.replacingOccurrences(of: "@127.0.0.1:", with: "@\(namespace.hostAddress):") }
        replicas[id] = try await WatchProcess(cli: workspace.runner, arguments: [
            workspace.manifests, "--state", state, "--data-dir", workspace.directory.file("data"), "--replica-id", id,
            "--replica-ttl", "3s", "--replica-interval", "1s", "--prune-delay", "1s",
        ] + arguments, directory: directory, listen: namespace.map { "\($0.namespaceAddress):0" } ?? "127.0.0.1:0", launcher: namespace?.launcher ?? [])
    }

    /// Starts r1 and r2 (r2 in `namespace`, if given), and waits until they share the sites
    /// evenly and every resource exists.
    mutating func startTwo(r2In namespace: NetworkNamespace? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        try await start("r1")
        try await start("r2", in: namespace)
        #expect(await waitUntilOwned(by: ["r1", "r2"], asSeenBy: "r1") != nil, sourceLocation: sourceLocation)
        #expect(await WatchProcess.eventually(timeout: .seconds(30)) { await worldCount() == Self.resources }, sourceLocation: sourceLocation)
    }

    subscript(id: String) -> WatchProcess { replicas[id]! }

    /// `/v1/replicas` as `id` answers it: the owner of each site, and the live replicas.
    func ownership(asSeenBy id: String) async -> (owners: [String: String], alive: Set<String>, leader: String?)? {
        guard case .map(let document)? = try? await self[id].get("/v1/replicas").json else { return nil }
        var owners: [String: String] = [:]
        if case .list(let sites)? = document["sites"] {
            for case .map(let site) in sites { if let name = site["name"]?.stringValue, let owner = site["owner"]?.stringValue { owners[name] = owner } }
        }
        var alive = Set<String>()
        if case .list(let replicas)? = document["replicas"] {
            for case .map(let replica) in replicas where replica["alive"]?.boolValue == true { alive.insert(replica["id"]?.stringValue ?? "") }
        }
        return (owners, alive, document["leader"]?.stringValue)
    }

    /// Waits until `observer` sees every site owned by one of `owners`, their loads within ±1 of
    /// even; returns how long that took.
    func waitUntilOwned(by owners: Set<String>, asSeenBy observer: String, timeout: Duration = .seconds(30)) async -> Duration? {
        let started = ContinuousClock.now
        let settled = await WatchProcess.eventually(timeout: timeout) {
            guard let view = await ownership(asSeenBy: observer), view.owners.count == Self.sites, Set(view.owners.values) == owners else { return false }
            let loads = owners.map { owner in view.owners.values.count { $0 == owner } }
            return loads.max()! - loads.min()! <= 1
        }
        return settled ? ContinuousClock.now - started : nil
    }

    /// Seconds since 1970 by the database's clock: `expression` is SQL over the state's tables.
    func databaseTime(_ expression: String) async throws -> Double {
        let (server, database) = (self.server, self.database)
        return Double(try await offPool { try server.sql("SELECT extract(epoch FROM \(expression))", database: database) }.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
    }

    /// A command on the shared state.
    @discardableResult
    func run(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await workspace.run(arguments)
    }

    func worldCount() async -> Int {
        (try? await workspace.worldCount()) ?? -1
    }

    func unfinishedEvents() async throws -> Int {
        try await workspace.unfinishedEvents()
    }

    /// When the last of `sites` was granted to its current owner, by the database's clock:
    /// takeover times measured there are not stretched by the test's own polling.
    /// One value from the shared database, as psql prints it.
    func query(_ statement: String) async throws -> String {
        let (server, database) = (self.server, self.database)
        return try await offPool { try server.sql(statement, database: database) }.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Per site, when its current lease runs out (database clock, seconds since 1970).
    func leaseExpiries(_ sites: [String]) async throws -> [String: Double] {
        try await perSite("expires_at", sites)
    }

    /// Per site, when its current lease was granted (database clock, seconds since 1970).
    func grants(_ sites: [String]) async throws -> [String: Double] {
        try await perSite("acquired_at", sites)
    }

    private func perSite(_ column: String, _ sites: [String]) async throws -> [String: Double] {
        let (server, database) = (self.server, self.database)
        let list = sites.map { "'\($0)'" }.joined(separator: ",")
        let text = try await offPool {
            try server.sql("SELECT key || ' ' || extract(epoch FROM \(column)) FROM ballast.site_lease WHERE key IN (\(list))", database: database)
        }
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    func lastGranted(_ sites: [String]) async throws -> Double {
        try await databaseTime("(SELECT max(acquired_at) FROM ballast.site_lease WHERE key IN (\(sites.map { "'\($0)'" }.joined(separator: ","))))")
    }

    /// Per resource, the successful actions of each kind in the journal.
    func actions() async throws -> [String: [String: Int]] {
        let output = try await workspace.run(["events", "-o", "json"]).stdout
        let events = (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["events"] as? [[String: Any]] ?? []
        var counts: [String: [String: Int]] = [:]
        for event in events where ["succeeded", "adopted"].contains(event["status"] as? String) {
            counts[event["id"] as! String, default: [:]][event["action"] as! String, default: 0] += 1
        }
        return counts
    }

    /// One resource per site that nothing depends on, to delete out of band.
    func leafPerSite() async throws -> [String: String] {
        let output = try await run(["sim", "ls", "-o", "json"]).stdout
        let listed = (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["resources"] as? [[String: Any]] ?? []
        let leafKinds = ["Bucket", "DNSRecord", "EdgeFunction", "Workload", "VirtualMachine"]
        var chosen: [String: String] = [:]
        for resource in listed {
            guard let id = (resource["id"] as? String).flatMap(ResourceID.init(parsing:)), leafKinds.contains(id.kind) else { continue }
            if chosen[id.site].map({ id.description < $0 }) ?? true { chosen[id.site] = id.description }
        }
        return chosen
    }

    /// Deletes `ids` out of band and waits until each was created again, once.
    func deleteAndExpectRecreatedOnce(_ ids: [String], before: [String: [String: Int]], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        for id in ids { try await run(["sim", "delete", id]) }
        let healed = await WatchProcess.eventually(timeout: .seconds(30)) {
            guard let after = try? await actions() else { return false }
            return ids.allSatisfy { (after[$0]?["create"] ?? 0) > (before[$0]?["create"] ?? 0) }
        }
        #expect(healed, "every deleted resource was recreated", sourceLocation: sourceLocation)
        try await Task.sleep(for: .seconds(1))
        let after = try await actions()
        for id in ids {
            #expect(after[id]?["create"] == (before[id]?["create"] ?? 0) + 1, "\(id) was recreated exactly once: \(after[id] ?? [:])", sourceLocation: sourceLocation)
        }
    }

    func stopAll() async {
        for replica in replicas.values where replica.process.isRunning { _ = await replica.terminate() }
    }
}

@Suite("Watch replicas on PostgreSQL", .serialized)
struct ReplicaTests {
    @Test func threeReplicasShareTheSitesAndTakeOverFromEachOther() async throws {
        let server = try await postgres.value
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.start("r1")
        try await set.start("r2")
        try await set.start("r3")

        // Spread: 30 sites, 10 each (within ±1 of even), and every resource created once.
        for observer in ["r1", "r2", "r3"] {
            #expect(await set.waitUntilOwned(by: ["r1", "r2", "r3"], asSeenBy: observer) != nil, "every site owned by the three replicas, as \(observer) sees it")
        }
        let view = try #require(await set.ownership(asSeenBy: "r1"))
        let loads = ["r1", "r2", "r3"].map { id in view.owners.values.count { $0 == id } }
        #expect(loads.max()! - loads.min()! <= 1, "\(loads)")
        #expect(view.leader != nil)
        let status = try await set.run(["status"])
        #expect(status.stdout.contains("Watch replicas: 3 alive ("), "\(status.stdout)")
        #expect(status.stdout.contains("Not locked."))
        let metrics = try await set["r1"].get("/metrics").body
        #expect(metrics.contains("ballast_site_owner_info{site=\"eu-central\""), "\(metrics.prefix(2000))")
        #expect(metrics.contains("ballast_unowned_sites 0"))
        let converged = await WatchProcess.eventually(timeout: .seconds(30)) { await set.worldCount() == ReplicaSet.resources }
        #expect(converged)
        let creates = try await set.actions().compactMapValues { $0["create"] }
        #expect(creates.count == ReplicaSet.resources && creates.values.allSatisfy { $0 == 1 }, "\(creates.filter { $0.value != 1 })")

        // Any replica answers for every resource and site: what the others own, it asks them.
        guard case .map(let listing)? = try await set["r1"].get("/v1/resources").json, case .list(let resources)? = listing["resources"] else {
            Issue.record("no resource listing")
            return
        }
        #expect(resources.count == ReplicaSet.resources + 1, "the 45 resources and the observe-only database: \(resources.count)")
        let ids = resources.compactMap { value -> String? in if case .map(let fields) = value { fields["id"]?.stringValue } else { nil } }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        #expect(listing["unansweredReplicas"] == .list([]))
        let elsewhere = try #require(view.owners.keys.sorted().first { view.owners[$0] != "r1" && $0.hasPrefix("extra-") })
        let remote = "Bucket/b\(Int(elsewhere.dropFirst("extra-".count))!)@\(elsewhere)"
        #expect(try await set["r1"].condition("Ready", of: remote)?.status == "True", "\(remote) on \(elsewhere), answered by its owner")
        guard case .map(let sites)? = try await set["r3"].get("/v1/sites").json, case .list(let siteList)? = sites["sites"] else {
            Issue.record("no site listing")
            return
        }
        #expect(siteList.count == ReplicaSet.sites)

        // The console of any replica shows the whole control plane: every site and resource,
        // with the conditions their owners hold, and a resource's page from its owner.
        let console = try await set["r1"].get("/?per=500").body
        #expect(console.contains("1–\(ReplicaSet.resources + 1) of \(ReplicaSet.resources + 1)"), "\(console.prefix(3000))")
        #expect(console.components(separatedBy: "<th scope=\"row\"><a href=\"/?site=").count - 1 == ReplicaSet.sites)
        #expect(!console.contains("did not answer"))

        // A reconcile request sent to a replica that does not own the site reaches its owner.
        let owner = try #require(view.owners[elsewhere])
        let counted = { () async -> Int in
            let text = (try? await set[owner].get("/metrics").body) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("ballast_reconciles_total{result=\"up_to_date\"}") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map(Int.init) ?? 0
        }
        let before = await counted()
        #expect(try await set["r1"].post("/v1/reconcile", body: "{\"site\": \"\(elsewhere)\"}").status == 202)
        #expect(await WatchProcess.eventually(timeout: .seconds(10)) { await counted() > before }, "the owner \(owner) reconciled \(elsewhere)")

        // A resource on every site deleted out of band: each recreated exactly once, by its owner.
        let leaves = try await set.leafPerSite()
        #expect(leaves.count == ReplicaSet.sites, "\(leaves.count)")
        let deletedAt = Date().timeIntervalSince1970.rounded(.down)
        try await set.deleteAndExpectRecreatedOnce(leaves.values.sorted(), before: try await set.actions())
        // What only the owner knows shows on r1's console too: when it healed, and the drift.
        let healedElsewhere = try #require(leaves[elsewhere])
        let healedID = try #require(ResourceID(parsing: healedElsewhere))
        let sitePage = try await set["r1"].get("/?site=\(elsewhere)&per=500").body
        let healedRow = try #require(sitePage.components(separatedBy: "<tr>").first { $0.contains(">\(healedID.kind)/\(healedID.name)</a>") }, "\(sitePage.prefix(3000))")
        let reconciled = healedRow.components(separatedBy: "<time datetime=\"").dropFirst().first.map { String($0.prefix(20)) }
        #expect(reconciled.flatMap(Timestamp.parse).map { $0.timeIntervalSince1970 >= deletedAt } == true, "reconciled by its owner after the delete: \(healedRow)")
        let detail = try await set["r1"].get("/resources/\(healedElsewhere)")
        #expect(detail.status == 200 && detail.body.contains("the resource was missing"), "its drift history, from the state: \(detail.body.prefix(3000))")
        let detailReconciled = detail.body.components(separatedBy: "last reconciled <time datetime=\"").dropFirst().first.map { String($0.prefix(20)) }
        #expect(detailReconciled.flatMap(Timestamp.parse).map { $0.timeIntervalSince1970 >= deletedAt } == true, "rendered by its owner: \(detail.body.prefix(3000))")

        // kill -9 of a replica: its sites are owned again within ttl + interval + 1 s.
        let victim = try #require(view.leader)
        let survivors = Set(["r1", "r2", "r3"]).subtracting([victim])
        let observer = survivors.sorted()[0]
        let orphaned = view.owners.filter { $0.value == victim }.map(\.key)
        set[victim].process.send(SIGKILL)
        // The victim renews nothing from here on: its leases' expiry is final.
        let lapses = try await set.leaseExpiries(orphaned)
        #expect(await set.waitUntilOwned(by: survivors, asSeenBy: observer, timeout: .seconds(20)) != nil)
        // Nobody took a site while the victim's lease on it still ran. (How fast the takeover
        // is, is measured by Benchmarks/scripts/replica-takeover.py, not asserted here.)
        let granted = try await set.grants(orphaned)
        for site in orphaned {
            #expect((granted[site] ?? 0) >= (lapses[site] ?? .infinity), "\(site) granted at \(granted[site] ?? 0), its lease ran to \(lapses[site] ?? 0)")
        }
        let lastHeartbeat = try await set.databaseTime("(SELECT last_seen FROM ballast.replica WHERE id = '\(victim)')")
        let takeover = try await set.lastGranted(orphaned) - lastHeartbeat
        #expect(await set.ownership(asSeenBy: observer)?.leader.map(survivors.contains) == true, "a survivor leads")
        try await set.deleteAndExpectRecreatedOnce(orphaned.compactMap { leaves[$0] }.sorted(), before: try await set.actions())

        // SIGTERM: the sites move at once (LISTEN/NOTIFY), well under a second.
        let leaving = survivors.sorted()[1]
        let staying = survivors.sorted()[0]
        let handed = try #require(await set.ownership(asSeenBy: staying)).owners.filter { $0.value == leaving }.map(\.key)
        let signalled = try await set.databaseTime("now()")
        set[leaving].process.send(SIGTERM)
        #expect(await set.waitUntilOwned(by: [staying], asSeenBy: staying, timeout: .seconds(20)) != nil)
        let handover = try await set.lastGranted(handed) - signalled
        print("replica takeover after kill -9: \(takeover) s; handover after SIGTERM: \(handover) s (database clock)")
        #expect(await set[leaving].terminate() == 0)
        // It left rather than lapsed: a lapsed replica's row stays for an hour, a leaving one deletes it.
        #expect(try await set.query("SELECT count(*) FROM ballast.replica WHERE id = '\(leaving)'") == "0", "\(leaving) left its row behind:\n\(set[leaving].standardError.suffix(3000))")

        // A second process under a live replica's id is refused once the old heartbeat would
        // have lapsed (it has not: the other process is alive).
        let workspace = set.workspace
        let duplicate = try await workspace.run(["watch", workspace.manifests, "--listen", "127.0.0.1:0", "--replica-id", staying, "--replica-ttl", "3s", "--replica-interval", "1s"])
        #expect(duplicate.exitCode == 1)
        #expect(duplicate.stderr.contains("has the replica id \(staying)"), "\(duplicate.stderr)")

        // Beside a live replica, apply is refused; plan works read-only.
        let refused = try await set.run(["apply", set.workspace.manifests, "--auto-approve"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("POST /v1/reconcile"), "\(refused.stderr)")
        #expect(try await set.run(["plan", set.workspace.manifests, "--detailed-exitcode"]).exitCode == 0)

        // Once the last replica stops, a one-off run may write again.
        #expect(await set[staying].terminate() == 0)
        #expect(try await set.run(["apply", set.workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await set.unfinishedEvents() == 0)
    }

    @Test func aReplicaPausedPastItsLeasesWritesNothingWhenItWakes() async throws {
        let server = try await postgres.value
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.startTwo()
        let view = try #require(await set.ownership(asSeenBy: "r2"))
        let leaves = try await set.leafPerSite()
        let pausedSites = view.owners.filter { $0.value == "r1" }.map(\.key)

        // r1 is stopped past its ttl: r2 takes its sites and heals what happens on them.
        set["r1"].process.send(SIGSTOP)
        #expect(await set.waitUntilOwned(by: ["r2"], asSeenBy: "r2", timeout: .seconds(20)) != nil)
        let before = try await set.actions()
        try await set.deleteAndExpectRecreatedOnce(pausedSites.compactMap { leaves[$0] }.sorted(), before: before)

        // r1 wakes: it finds its leases gone, acts on nothing it no longer owns, and rejoins.
        let woken = try await set.actions()
        set["r1"].process.send(SIGCONT)
        #expect(await set.waitUntilOwned(by: ["r1", "r2"], asSeenBy: "r2", timeout: .seconds(30)) != nil, "r1 takes its share again")
        try await Task.sleep(for: .seconds(2))
        let after = try await set.actions()
        #expect(after == woken, "waking up changed nothing: \(after.filter { woken[$0.key] != $0.value })")
        #expect(set["r1"].standardError.contains("lost the lease"), "r1 says it lost its leases")
        #expect(try await set.unfinishedEvents() == 0)
        await set.stopAll()
    }

    @Test func replicasRideOutADatabaseRestart() async throws {
        // A cluster of its own: the restart must not disturb the other tests.
        let server = try await PostgresServer()
        defer { server.stop() }
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.startTwo()
        let leaves = try await set.leafPerSite()
        try await offPool { server.stop() }
        // Without the database, neither replica is ready; both keep serving reads.
        #expect(await WatchProcess.eventually(timeout: .seconds(15)) { (try? await set["r1"].get("/readyz").status) == 503 })
        #expect(try await set["r2"].get("/v1/sites").status == 200)
        try await offPool { try server.start() }
        #expect(await WatchProcess.eventually(timeout: .seconds(30)) {
            let first = try? await set["r1"].get("/readyz").status
            let second = try? await set["r2"].get("/readyz").status
            return first == 200 && second == 200
        })
        #expect(await set.waitUntilOwned(by: ["r1", "r2"], asSeenBy: "r1") != nil)
        try await set.deleteAndExpectRecreatedOnce(leaves.values.sorted(), before: try await set.actions())
        let creates = try await set.actions().compactMapValues { $0["create"] }
        #expect(creates.values.allSatisfy { $0 <= 2 }, "nothing created twice but what was deleted: \(creates.filter { $0.value > 2 })")
        #expect(try await set.unfinishedEvents() == 0)
        await set.stopAll()
        try await offPool { server.stop() }
    }

    @Test func theLeaderHoldsAMassRemovalAndTheOwnersCarryOutTheApproval() async throws {
        let server = try await postgres.value
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.startTwo()
        let view = try #require(await set.ownership(asSeenBy: "r1"))
        let leader = try #require(view.leader)
        let follower = leader == "r1" ? "r2" : "r1"

        // Every bucket of the extra sites removed at once: 24 of 45, over the budget of 10.
        let path = set.workspace.manifests + "/extra.yaml"
        try Data(ReplicaSet.extraManifests(buckets: false).utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        _ = rename(path + ".tmp", path)
        var digest: String?
        let held = await WatchProcess.eventually(timeout: .seconds(20)) {
            guard case .map(let manifests)? = try? await set[leader].get("/v1/manifests").json, case .map(let mass)? = manifests["heldDeletions"] else { return false }
            digest = mass["digest"]?.stringValue
            return true
        }
        #expect(held, "the leader holds the removal")
        try await Task.sleep(for: .seconds(2))
        #expect(await set.worldCount() == ReplicaSet.resources, "nothing deleted while held")

        // Only the leader approves; the owners of the sites then delete, each bucket once.
        let body = "{\"approveDeletions\": \"\(digest ?? "")\"}"
        let elsewhere = try await set[follower].post("/v1/reconcile", body: body)
        #expect(elsewhere.status == 409)
        #expect(elsewhere.body.contains("leader"), "\(elsewhere.body)")
        #expect(try await set[leader].post("/v1/reconcile", body: body).status == 202)
        #expect(await WatchProcess.eventually(timeout: .seconds(30)) { await set.worldCount() == ReplicaSet.resources - ReplicaSet.extraSites })
        let deletes = try await set.actions().compactMapValues { $0["delete"] }
        #expect(deletes.count == ReplicaSet.extraSites && deletes.values.allSatisfy { $0 == 1 }, "\(deletes)")
        #expect(try await set.unfinishedEvents() == 0)
        await set.stopAll()
    }

    @Test func replicasFailOverBySharingTheirSitesHealthAndTheLeaderCountsTheMove() async throws {
        let server = try await postgres.value
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.startTwo()
        // The sites are shared; Paris's owner alone sees Paris go down, and Berlin's owner must
        // create the replacement from what Paris's owner reports.
        set.workspace.directory.write("manifests/failover.yaml", TestManifests.failoverWorkload(after: "2s"))
        func world() async -> String { (try? await set.run(["sim", "ls"]).stdout) ?? "" }
        #expect(await WatchProcess.eventually(timeout: .seconds(30)) { await world().contains("Workload/failover-api@edge-paris ") })
        let view = try #require(await set.ownership(asSeenBy: "r1"))
        let leader = try #require(view.leader)
        try await set.run(["sim", "outage", "edge-paris", "on"])
        try await set.run(["sim", "drift", "Workload/failover-api@edge-paris", "image=evil:1"])
        let moved = await WatchProcess.eventually(timeout: .seconds(60)) { await world().contains("Workload/failover-api@edge-berlin ") }
        #expect(moved, "paris owned by \(view.owners["edge-paris"] ?? "?"), berlin by \(view.owners["edge-berlin"] ?? "?"): \(set["r1"].standardError)\n\(set["r2"].standardError)")
        let line = #"ballast_failovers_total{direction="failover"} 1"#
        #expect(try await set[leader].get("/metrics").body.contains(line), "the leader counts the move")
        #expect(try await !set[leader == "r1" ? "r2" : "r1"].get("/metrics").body.contains(line), "once")

        try await set.run(["sim", "outage", "edge-paris", "off"])
        let back = await WatchProcess.eventually(timeout: .seconds(60)) {
            let now = await world()
            return !now.contains("Workload/failover-api@edge-berlin ") && now.contains("Workload/failover-api@edge-paris ")
        }
        #expect(back, "\(set["r1"].standardError)\n\(set["r2"].standardError)")
        #expect(try await set.unfinishedEvents() == 0)
        await set.stopAll()
    }

    @Test func aReplicaCutOffFromTheDatabaseStopsActingAndRejoinsWhenTheNetworkHeals() async throws {
        // r2 runs in a network namespace of its own, joined to the host by a veth pair; the
        // database listens on the host's end too.
        let namespace = try await offPool { try NetworkNamespace() }
        let server = try await PostgresServer(alsoListeningOn: [namespace.hostAddress], network: namespace.subnet)
        defer { server.stop() }
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        try await set.startTwo(r2In: namespace)
        let view = try #require(await set.ownership(asSeenBy: "r1"))
        let cutOff = view.owners.filter { $0.value == "r2" }.map(\.key)
        let leaves = try await set.leafPerSite()

        // The link drops: r2's leases lapse, r1 takes its sites and heals what happens there;
        // r2, still running, acts on nothing (every action once in the journal).
        try await offPool { try namespace.partition() }
        #expect(await set.waitUntilOwned(by: ["r1"], asSeenBy: "r1", timeout: .seconds(20)) != nil, "r1 took r2's sites")
        try await set.deleteAndExpectRecreatedOnce(cutOff.compactMap { leaves[$0] }.sorted(), before: try await set.actions())

        // The network heals: r2 joins again and gets its share back.
        try await offPool { try namespace.heal() }
        #expect(await set.waitUntilOwned(by: ["r1", "r2"], asSeenBy: "r1", timeout: .seconds(90)) != nil, "r2 rejoined:\n\(set["r2"].standardError.suffix(3000))")
        let creates = try await set.actions().compactMapValues { $0["create"] }
        #expect(creates.values.allSatisfy { $0 <= 2 }, "nothing created twice but what was deleted: \(creates.filter { $0.value > 2 })")
        #expect(creates.values.count { $0 == 2 } == cutOff.count)
        #expect(set["r2"].standardError.contains("replica heartbeat failed"), "r2 noticed the partition")
        #expect(try await set.unfinishedEvents() == 0)
        await set.stopAll()
        try await offPool { server.stop() }
    }

    @Test func anAgentLongPollingOneReplicaGetsWhatTheSitesOwnerPublishesAtOnce() async throws {
        let server = try await postgres.value
        var set = try await ReplicaSet(server: server)
        defer { set.workspace.directory.remove() }
        let sites = set.workspace.manifests + "/sites.yaml"
        let text = try String(contentsOfFile: sites, encoding: .utf8)
        try Data(text.replacingOccurrences(
            of: "name: edge-berlin\n  labels: { class: edge, region: eu, tier: edge }\nspec:\n  class: edge\n",
            with: "name: edge-berlin\n  labels: { class: edge, region: eu, tier: edge }\nspec:\n  class: edge\n  mode: pull\n").utf8).write(to: URL(fileURLWithPath: sites))
        try await set.start("r1", arguments: ["--agent-heartbeat", "1s"])
        try await set.start("r2", arguments: ["--agent-heartbeat", "1s"])
        #expect(await set.waitUntilOwned(by: ["r1", "r2"], asSeenBy: "r1") != nil)
        let view = try #require(await set.ownership(asSeenBy: "r1"))
        let owner = try #require(view.owners["edge-berlin"])
        let other = owner == "r1" ? "r2" : "r1"
        let token = try await set.run(["token", "create", "--site", "edge-berlin"])
        let tokenFile = set.workspace.directory.file("berlin.token")
        try Data(token.stdout.utf8).write(to: URL(fileURLWithPath: tokenFile))
        // The agent asks the replica that does not own the site, with long waits: only the
        // owner's NOTIFY can wake it before its minute is up.
        let agentState = set.workspace.directory.file("agent")
        let agent = try await AgentProcess(
            cli: set.workspace.runner, hub: set[other].baseURL, site: "edge-berlin", tokenFile: tokenFile, state: agentState,
            directory: set.workspace.directory.path, arguments: ["--wait", "60s"])
        defer { Task { _ = await agent.terminate() } }
        let cache = "Workload/edge-cache@edge-berlin"
        func image() async throws -> String? {
            try await set.workspace.runner.run(["sim", "ls", "--state", agentState]).stdout.split(separator: "\n").first { $0.hasPrefix(cache + " ") }.map(String.init)
        }
        #expect(try await image()?.contains("2.4.1") == true)
        try await Task.sleep(for: .seconds(2))
        let edge = set.workspace.manifests + "/edge.yaml"
        let started = ContinuousClock.now
        try Data(try String(contentsOfFile: edge, encoding: .utf8).replacingOccurrences(of: "edge-cache:2.4.1", with: "edge-cache:2.5.0").utf8)
            .write(to: URL(fileURLWithPath: edge + ".tmp"))
        _ = rename(edge + ".tmp", edge)
        #expect(try await WatchProcess.eventually(timeout: .seconds(30)) { try await image()?.contains("2.5.0") == true }, "\(agent.standardError.suffix(2000))")
        print("replicas: a manifest edit reached an agent long-polling the other replica in \(ContinuousClock.now - started)")
        // The owner never hears from the agent itself: it reads the reports the other replica
        // stored, and shows the site fresh, at the generation applied (never stale).
        func agentOnOwner() async throws -> Fields? {
            guard case .map(let document)? = try await set[owner].get("/v1/sites?local=1").json, case .list(let sites)? = document["sites"] else { return nil }
            for case .map(let site) in sites where site["name"]?.stringValue == "edge-berlin" {
                if case .map(let agent)? = site["agent"] { return agent }
            }
            return nil
        }
        #expect(try await WatchProcess.eventually(timeout: .seconds(20)) { try await agentOnOwner()?["appliedGeneration"] == .int(2) })
        try await Task.sleep(for: .seconds(5))
        let later = try await agentOnOwner()
        #expect(later?["stale"] == .bool(false), "five heartbeats later: \(String(describing: later))")
        await set.stopAll()
    }
}
