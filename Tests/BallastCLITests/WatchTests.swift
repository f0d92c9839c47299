import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

@Suite("ballast watch", .serialized)
struct WatchTests {
    @Test func driftIsHealed() async throws {
        let daemon = try await Daemon()
        #expect(try await daemon.watch.get("/readyz").status == 200)
        try await daemon.cli(["sim", "drift", "Database/analytics@us-east", "sizeGb=10"])
        let healed = try await WatchProcess.eventually {
            try await daemon.watch.condition("Drifted", of: "Database/analytics@us-east")?.reason == "Healed"
        }
        #expect(healed, "\(daemon.watch.standardError)")
        #expect(try await daemon.world("Database/analytics@us-east")?.contains("sizeGb=200") == true)
        let updates = try await daemon.journal().filter { $0.fieldsValue?["id"]?.stringValue == "Database/analytics@us-east" && $0.fieldsValue?["action"]?.stringValue == "update" }
        #expect(updates.count == 1)
        let metrics = try await daemon.watch.get("/metrics").body
        #expect(metrics.contains("ballast_heals_total 1"))
        #expect(metrics.contains("ballast_drifts_detected_total 1"))
        await daemon.stop()
    }

    @Test func deletedResourceIsRecreated() async throws {
        let daemon = try await Daemon()
        try await daemon.cli(["sim", "delete", "Bucket/assets@us-east"])
        let recreated = try await WatchProcess.eventually {
            try await daemon.watch.condition("Ready", of: "Bucket/assets@us-east")?.reason == "Recreated"
        }
        #expect(recreated, "\(daemon.watch.standardError)")
        #expect(try await daemon.world("Bucket/assets@us-east") != nil)
        await daemon.stop()
    }

    @Test func aSiteInOutageIsDownWhileOthersReconcile() async throws {
        let daemon = try await Daemon()
        try await daemon.cli(["sim", "outage", "us-east", "on"])
        try await daemon.cli(["sim", "drift", "Database/analytics@us-east", "sizeGb=10"])
        let down = try await WatchProcess.eventually { try await siteUp(daemon, "us-east") == false }
        #expect(down, "\(daemon.watch.standardError)")
        // Another site still heals while us-east is down.
        try await daemon.cli(["sim", "drift", "Database/orders@eu-central", "sizeGb=5"])
        let otherHealed = try await WatchProcess.eventually {
            try await daemon.watch.condition("Drifted", of: "Database/orders@eu-central")?.reason == "Healed"
        }
        #expect(otherHealed)
        #expect(try await siteUp(daemon, "eu-central") == true)
        // Back: the site is up, and the drift made during the outage is reverted.
        try await daemon.cli(["sim", "outage", "us-east", "off"])
        let converged = try await WatchProcess.eventually {
            let up = try await siteUp(daemon, "us-east") == true
            let analytics = try await daemon.world("Database/analytics@us-east")
            return up && analytics?.contains("sizeGb=200") == true
        }
        #expect(converged, "\(daemon.watch.standardError)")
        await daemon.stop()
    }

    @Test func manifestEditsAreAppliedAndRemovedFilesPruned() async throws {
        let daemon = try await Daemon(arguments: ["--prune-delay", "1s"])
        let original = try String(contentsOfFile: daemon.manifests + "/us-east.yaml", encoding: .utf8)
        try daemon.writeManifest("us-east.yaml", original.replacingOccurrences(of: "sizeGb: 200", with: "sizeGb: 300"))
        let applied = try await WatchProcess.eventually { try await daemon.world("Database/analytics@us-east")?.contains("sizeGb=300") == true }
        #expect(applied, "\(daemon.watch.standardError)")
        // Only the edited resource was acted on.
        let actions = try await daemon.journal().compactMap { $0.fieldsValue }.filter { $0["run"]?.stringValue?.hasPrefix("watch-") == true }
        #expect(actions.map { $0["id"]?.stringValue } == ["Database/analytics@us-east"])
        try FileManager.default.removeItem(atPath: daemon.manifests + "/us-east.yaml")
        let pruned = try await WatchProcess.eventually {
            let analytics = try await daemon.world("Database/analytics@us-east")
            let assets = try await daemon.world("Bucket/assets@us-east")
            return analytics == nil && assets == nil
        }
        #expect(pruned, "\(daemon.watch.standardError)")
        #expect(try await daemon.watch.get("/v1/resources/Bucket/assets@us-east").status == 404)
        await daemon.stop()
    }

    @Test func anInvalidEditIsReportedAndNothingIsTornDown() async throws {
        let daemon = try await Daemon()
        try daemon.writeManifest("us-east.yaml", "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata:\n  name: assets\n  site: us-east\nspec:\n  versioning: [unclosed\n")
        let reported = try await WatchProcess.eventually {
            try await daemon.watch.get("/v1/manifests").json?.fieldsValue?["valid"] == .bool(false)
        }
        #expect(reported)
        let report = try await daemon.watch.get("/v1/manifests").json?.fieldsValue
        let diagnostics = report?["diagnostics"].flatMap { value -> [Value]? in if case .list(let items) = value { items } else { nil } } ?? []
        #expect(diagnostics.contains { $0.stringValue?.contains("us-east.yaml:8:1: error: did not find expected") == true }, "\(diagnostics)")
        #expect(daemon.watch.standardError.contains("do not validate"))
        // The last good manifests stay in force: nothing deleted, and drift is still healed.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await daemon.world("Database/analytics@us-east") != nil)
        #expect(try await daemon.journal().allSatisfy { $0.fieldsValue?["action"]?.stringValue != "delete" })
        try await daemon.cli(["sim", "drift", "Database/analytics@us-east", "sizeGb=10"])
        let healed = try await WatchProcess.eventually { try await daemon.world("Database/analytics@us-east")?.contains("sizeGb=200") == true }
        #expect(healed)
        await daemon.stop()
    }

    @Test func cloudEventsTriggerAReconcile() async throws {
        let daemon = try await Daemon()
        let id = "Database/analytics@us-east"
        func lastReconciled() async throws -> String? {
            try await daemon.watch.get("/v1/resources/\(id)").json?.fieldsValue?["lastReconciled"]?.stringValue
        }
        let before = try await lastReconciled()
        let structured = """
        {"specversion": "1.0", "id": "evt-1", "source": "aws.events", "type": "com.example.changed", "subject": "\(id)", "data": {}}
        """
        let reply = try await daemon.watch.post("/v1/events/cloudevents", body: structured, headers: ["Content-Type": "application/cloudevents+json"])
        #expect(reply.status == 202, "\(reply.body)")
        #expect(try await WatchProcess.eventually { try await lastReconciled() != before })
        // Binary mode: attributes in ce-* headers, the site named in the data.
        let binary = try await daemon.watch.post("/v1/events/cloudevents", body: #"{"site": "edge-berlin"}"#, headers: [
            "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "evt-2", "ce-source": "kafka://sink", "ce-type": "site.changed",
        ])
        #expect(binary.status == 202, "\(binary.body)")
        #expect(binary.json?.fieldsValue?["enqueued"] == .int(3))
        // Malformed or unknown: clear 4xx answers.
        let missing = try await daemon.watch.post("/v1/events/cloudevents", body: #"{"specversion": "1.0", "id": "x"}"#, headers: ["Content-Type": "application/cloudevents+json"])
        #expect(missing.status == 400 && missing.body.contains("source, type"))
        let unknown = try await daemon.watch.post("/v1/events/cloudevents", body: #"{"specversion": "1.0", "id": "x", "source": "s", "type": "t", "subject": "Bucket/nope@us-east"}"#, headers: ["Content-Type": "application/cloudevents+json"])
        #expect(unknown.status == 404)
        await daemon.stop()
    }

    @Test func mutatingRoutesNeedTheToken() async throws {
        let daemon = try await Daemon()
        #expect(try await daemon.watch.post("/v1/reconcile", authorized: false).status == 401)
        #expect(try await daemon.watch.post("/v1/reconcile", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await daemon.watch.post("/v1/events/cloudevents", body: "{}", authorized: false).status == 401)
        let accepted = try await daemon.watch.post("/v1/reconcile", body: #"{"site": "us-east"}"#)
        #expect(accepted.status == 202 && accepted.json?.fieldsValue?["enqueued"] == .int(2))
        let malformed = try await daemon.watch.post("/v1/reconcile", body: #"{"id": 42}"#)
        #expect(malformed.status == 400, "a malformed scope must not reconcile everything")
        #expect(try await daemon.watch.get("/healthz").status == 200)
        await daemon.stop()
    }

    @Test func storedTokensWorkFromTheirNextRequestAndStopWhenRevoked() async throws {
        let daemon = try await Daemon()
        // Made beside the running daemon, which holds the state's lease.
        let admin = try await daemon.cli(["token", "create", "ci", "--role", "admin"])
        #expect(admin.exitCode == 0, "\(admin.stderr)")
        let adminToken = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(adminToken.count == 64)
        let reader = try await daemon.cli(["token", "create", "grafana"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await daemon.cli(["token", "create", "ci"]).exitCode == 1, "a name is not silently reused")
        let listed = try await daemon.cli(["token", "list"]).stdout
        #expect(listed.contains("ci  ") && listed.contains("grafana") && !listed.contains(adminToken), "\(listed)")
        for file in try FileManager.default.contentsOfDirectory(atPath: daemon.state) {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: daemon.state + "/" + file))) ?? Data()
            #expect(!String(decoding: bytes, as: UTF8.self).contains(adminToken), "stored hashed, not in \(file)")
        }
        #expect(try await daemon.watch.post("/v1/reconcile", headers: ["Authorization": "Bearer \(adminToken)"]).status == 202)
        #expect(try await daemon.watch.post("/v1/reconcile", headers: ["Authorization": "Bearer \(reader)"]).status == 403)
        #expect(try await daemon.cli(["token", "revoke", "ci"]).exitCode == 0)
        #expect(try await daemon.watch.post("/v1/reconcile", headers: ["Authorization": "Bearer \(adminToken)"]).status == 401)
        #expect(try await daemon.cli(["token", "revoke", "ci"]).exitCode == 1)
        await daemon.stop()
    }

    @Test func listingsAreSortedAndFilterable() async throws {
        let daemon = try await Daemon()
        let all = try await daemon.watch.get("/v1/resources").json?.fieldsValue?["resources"]
        guard case .list(let resources)? = all else { Issue.record("no resources"); return }
        let ids = resources.compactMap { $0.fieldsValue?["id"]?.stringValue }
        #expect(ids.count == 22 && ids == ids.sorted())
        let drifted = try await daemon.watch.get("/v1/resources?condition=Drifted").body
        #expect(drifted.contains("Database/legacy-erp@dc-frankfurt") && drifted.contains("ObserveOnly"))
        let edge = try await daemon.watch.get("/v1/resources?site=edge-paris&kind=EdgeFunction").json?.fieldsValue?["resources"]
        if case .list(let items)? = edge { #expect(items.count == 2) } else { Issue.record("no filtered list") }
        #expect(try await daemon.watch.get("/v1/resources?condition=bogus").status == 400)
        let events = try await daemon.watch.get("/v1/events?since=20").json?.fieldsValue?["events"]
        if case .list(let items)? = events { #expect(items.count == 1) } else { Issue.record("no events") }
        let status = try await daemon.runner.run(["status", "--server", daemon.watch.baseURL])
        #expect(status.exitCode == 0)
        #expect(status.stdout.contains("us-east") && status.stdout.contains("Database/legacy-erp@dc-frankfurt"))
        await daemon.stop()
    }

    @Test func sigtermStopsCleanlyWithAConsistentJournal() async throws {
        let daemon = try await Daemon()
        _ = try await daemon.watch.post("/v1/reconcile")
        try await daemon.cli(["sim", "drift", "Database/analytics@us-east", "sizeGb=10"])
        let code = await daemon.watch.terminate()
        #expect(code == 0, "\(daemon.watch.standardError)")
        #expect(daemon.watch.standardOutput.contains("ballast watch: stopped"))
        let status = try await daemon.cli(["status"])
        #expect(status.stdout.contains("Not locked."))
        #expect(!status.stdout.contains("Unfinished"))
        daemon.directory.remove()
    }

    @Test func oneDaemonPerState() async throws {
        let daemon = try await Daemon()
        let second = try await daemon.runner.run(["watch", daemon.manifests, "--state", daemon.state, "--listen", "127.0.0.1:0"], environment: ["BALLAST_TOKEN": "t"])
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("another ballast watch (pid \(daemon.watch.process.pid)) already runs"))
        let apply = try await daemon.cli(["apply", daemon.manifests, "--auto-approve"])
        #expect(apply.exitCode == 1 && apply.stderr.contains("is kept by a running ballast watch (pid \(daemon.watch.process.pid)); stop it, or ask it to act with POST /v1/reconcile"), "\(apply.stderr)")
        await daemon.stop()
    }

    @Test func refusesAPublicAddressWithoutAToken() async throws {
        let runner = CLIRunner(workingDirectory: root)
        let directory = TemporaryDirectory(prefix: "ballast-watch")
        defer { directory.remove() }
        let result = try await runner.run(["watch", root + "/manifests/examples/hybrid", "--state", directory.path, "--listen", "0.0.0.0:0"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("not a loopback address, without a token"))
    }

    @Test func invalidManifestsStopTheStartWithDiagnostics() async throws {
        let runner = CLIRunner(workingDirectory: root)
        let directory = TemporaryDirectory(prefix: "ballast-watch")
        defer { directory.remove() }
        let result = try await runner.run(["watch", root + "/manifests/examples/invalid", "--state", directory.path, "--listen", "127.0.0.1:0"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("error:") && result.stderr.contains("watch did not start"))
    }
}

private func siteUp(_ daemon: Daemon, _ name: String) async throws -> Bool? {
    guard case .list(let sites)? = try await daemon.watch.get("/v1/sites").json?.fieldsValue?["sites"] else { return nil }
    return sites.first { $0.fieldsValue?["name"]?.stringValue == name }?.fieldsValue?["up"]?.boolValue
}
