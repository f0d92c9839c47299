import BallastCore
import BallastTesting
import Foundation
import Testing

/// Watch mode's side of data safety: what a file half written or a tree mostly removed makes
/// the daemon do.
@Suite("Trust: watch", .serialized)
struct TrustWatchTests {
    @Test func aFileWrittenInTwoStepsDeletesNothing() async throws {
        // The default prune delay (10 s): a wide margin over the 1.5 s gap below, on a loaded machine.
        let daemon = try await Daemon()
        defer { Task { await daemon.stop() } }
        let path = daemon.manifests + "/us-east.yaml"
        let whole = try String(contentsOfFile: path, encoding: .utf8)
        let before = try await daemon.world("Database/analytics@us-east")
        let firstHalf = String(whole[..<whole.range(of: "---")!.lowerBound])
        // As an editor or a checkout of a large tree may: the first half, then 1.5 s later the rest.
        try Data(firstHalf.utf8).write(to: URL(fileURLWithPath: path))
        try await Task.sleep(for: .milliseconds(1500))
        try Data(whole.utf8).write(to: URL(fileURLWithPath: path))
        // Past the prune delay of the first write, and well past the settle time.
        try await Task.sleep(for: .seconds(11))
        let watchActions = try await daemon.journal().compactMap(\.fieldsValue).filter { $0["run"]?.stringValue?.hasPrefix("watch-") == true }
        #expect(watchActions.isEmpty, "nothing was deleted or re-created: \(watchActions)\n\(daemon.watch.standardError)")
        #expect(before != nil)
        #expect(try await daemon.world("Database/analytics@us-east") == before, "never deleted, re-created or changed")
        await daemon.stop()
    }

    @Test func aMassRemovalIsHeldUntilItsDigestIsApproved() async throws {
        let daemon = try await Daemon(arguments: ["--prune-delay", "1s"], edit: { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") })
        let away = daemon.directory.file("away")
        try FileManager.default.createDirectory(atPath: away, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: daemon.manifests) where file.hasSuffix(".yaml") && file != "sites.yaml" {
            try FileManager.default.moveItem(atPath: daemon.manifests + "/" + file, toPath: away + "/" + file)
        }
        var digest: String?
        let held = try await WatchProcess.eventually {
            guard case .map(let fields)? = try await daemon.watch.get("/v1/manifests").json, case .map(let held)? = fields["heldDeletions"] else { return false }
            digest = held["digest"]?.stringValue
            return held["ids"].map { if case .list(let ids) = $0 { ids.count == 21 } else { false } } ?? false
        }
        #expect(held, "\(daemon.watch.standardError)")
        let metrics = try await daemon.watch.get("/metrics").body
        #expect(metrics.contains("ballast_deletions_held 21"), "\(metrics)")
        #expect(try await daemon.watch.condition("Synced", of: "Database/orders@eu-central")?.reason == "DeletionHeld")
        #expect(try await daemon.cli(["sim", "ls"]).stdout.split(separator: "\n").count == 21, "nothing was deleted")
        // Put back, then removed again: the held set clears, and comes back with the removal.
        for file in try FileManager.default.contentsOfDirectory(atPath: away) {
            try FileManager.default.moveItem(atPath: away + "/" + file, toPath: daemon.manifests + "/" + file)
        }
        // Approving what the API reported a moment ago, before the daemon has reloaded (as the
        // soak's operator once did): refused, since the files declare it all again.
        let late = try await daemon.watch.post("/v1/reconcile", body: #"{"approveDeletions": "\#(try #require(digest))"}"#)
        #expect(late.status == 409, "\(late.body)")
        let cleared = try await WatchProcess.eventually {
            guard case .map(let fields)? = try await daemon.watch.get("/v1/manifests").json else { return false }
            return fields["heldDeletions"] == .null && fields["resources"]?.intValue == 22
        }
        #expect(cleared, "\(daemon.watch.standardError)")
        #expect(try await daemon.watch.get("/metrics").body.contains("ballast_deletions_held 0"))
        #expect(try await daemon.cli(["sim", "ls"]).stdout.split(separator: "\n").count == 21, "nothing was deleted")
        for file in try FileManager.default.contentsOfDirectory(atPath: daemon.manifests) where file.hasSuffix(".yaml") && file != "sites.yaml" {
            try FileManager.default.moveItem(atPath: daemon.manifests + "/" + file, toPath: away + "/" + file)
        }
        let heldAgain = try await WatchProcess.eventually {
            guard case .map(let fields)? = try await daemon.watch.get("/v1/manifests").json, case .map(let held)? = fields["heldDeletions"] else { return false }
            return held["digest"]?.stringValue == digest
        }
        #expect(heldAgain, "\(daemon.watch.standardError)")
        // Only the held set's digest approves it.
        let wrong = try await daemon.watch.post("/v1/reconcile", body: #"{"approveDeletions": "sha256:0000"}"#)
        #expect(wrong.status == 409)
        let approved = try await daemon.watch.post("/v1/reconcile", body: #"{"approveDeletions": "\#(try #require(digest))"}"#)
        #expect(approved.status == 202, "\(approved.body)")
        let pruned = try await WatchProcess.eventually { try await daemon.cli(["sim", "ls"]).stdout.hasPrefix("The sim world is empty") }
        #expect(pruned, "\(daemon.watch.standardError)")
        await daemon.stop()
    }

    /// `preventDestroy` set on a resource that needs no action is recorded by the daemon as
    /// `apply` records it: removing the document afterwards keeps the resource (the daemon once
    /// pruned it, its inventory still holding the policy it was first applied with).
    @Test func aPolicySetWhileWatchingProtectsOnceTheDocumentIsRemoved() async throws {
        let daemon = try await Daemon(arguments: ["--prune-delay", "1s"])
        defer { Task { await daemon.stop() } }
        let path = daemon.manifests + "/us-east.yaml"
        let whole = try String(contentsOfFile: path, encoding: .utf8)
        let separator = try #require(whole.range(of: "---\n"))
        let bucket = String(whole[..<separator.lowerBound])
        try Data((bucket + "policy: { preventDestroy: true }\n---\n" + whole[separator.upperBound...]).utf8).write(to: URL(fileURLWithPath: path))
        let recorded = try await WatchProcess.eventually {
            try await daemon.cli(["get", "Bucket/assets@us-east", "-o", "json"]).stdout.contains("\"preventDestroy\": true")
        }
        #expect(recorded, "\(daemon.watch.standardError)")
        // The whole document goes; its policy, recorded, keeps the bucket.
        try Data(String(whole[separator.upperBound...]).utf8).write(to: URL(fileURLWithPath: path))
        let held = try await WatchProcess.eventually {
            try await daemon.watch.condition("Synced", of: "Bucket/assets@us-east") != nil
                && daemon.watch.standardError.contains("Bucket/assets@us-east is no longer declared, but it was applied with policy.preventDestroy")
        }
        try await Task.sleep(for: .seconds(3))
        #expect(held, "\(daemon.watch.standardError)")
        #expect(try await daemon.world("Bucket/assets@us-east") != nil, "kept: \(daemon.watch.standardError)")
        await daemon.stop()
    }

    @Test func aDaemonStartedOnFewerFilesSaysItsRemovalsWait() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        try FileManager.default.removeItem(atPath: workspace.manifests + "/us-east.yaml")
        let watch = try await WatchProcess(cli: workspace.runner, arguments: [workspace.manifests, "--state", workspace.state], directory: workspace.directory.path)
        let out = watch.standardOutput
        _ = await watch.terminate()
        #expect(out.contains("0 to destroy. 2 no longer declared: removed only after the prune delay, within the deletion budget."), "\(out)")
    }

    @Test func aDaemonPausedPastItsLeaseNeverWritesAgainAndStops() async throws {
        let daemon = try await Daemon(environment: ["BALLAST_LEASE_TTL": "3s"])
        defer { Task { await daemon.stop() } }
        let status = try await daemon.cli(["status"]).stdout
        let lockID = try #require(status.range(of: "lock id ").map { String(status[$0.upperBound...].prefix { $0 != "," }) }, "\(status)")
        // SIGSTOP: as a GC pause, a VM migration or a laptop lid would.
        daemon.watch.process.send(SIGSTOP)
        try await Task.sleep(for: .seconds(4))
        // The lease lapsed: another run takes it (here by force-unlock, then apply) and writes.
        #expect(try await daemon.cli(["force-unlock", lockID, "--force"]).exitCode == 0)
        try await daemon.cli(["sim", "drift", "Database/analytics@us-east", "sizeGb=10"])
        let applied = try await daemon.cli(["apply", daemon.manifests, "--auto-approve"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let journalBefore = try await daemon.journal().count
        // Woken up, the daemon finds its lease lost, says so and stops, without writing.
        daemon.watch.process.send(SIGCONT)
        let stopped = await WatchProcess.eventually(timeout: .seconds(15)) { !daemon.watch.process.isRunning }
        #expect(stopped, "\(daemon.watch.standardError)")
        if stopped { #expect(daemon.watch.process.exitCode != 0) }
        #expect(daemon.watch.standardError.contains("was lost"), "\(daemon.watch.standardError)")
        #expect(try await daemon.journal().count == journalBefore, "the paused daemon wrote nothing after waking")
    }
}
