import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// Budgets as a user meets them: `apply` refuses a change that takes a blocking budget over its
/// limit (and a saved plan of it), `--allow-over-budget` lets it through into the journal, and a
/// heal is never blocked; the daemon holds the change, keeps healing what is in force, and lets
/// it through once the limit allows.
@Suite("Budgets", .serialized)
struct BudgetTests {
    /// The orders database at 600 GB: €79.80 a month of storage instead of €6.65, which takes
    /// eu-central from €86.26 to €159.41 against the example's €150 limit.
    static func grow(_ text: String) -> String { text.replacingOccurrences(of: "sizeGb: 50", with: "sizeGb: 600") }

    @Test func applyRefusesAPlanOverABlockingBudgetUnlessAllowed() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let file = workspace.manifests + "/eu-central.yaml"
        try Data(Self.grow(try String(contentsOfFile: file, encoding: .utf8)).utf8).write(to: URL(fileURLWithPath: file))

        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.exitCode == 0)
        #expect(plan.stdout.contains("  eu-cloud  €86.26 → €159.41 of €150.00  (block)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("over budget: apply refuses this plan unless --allow-over-budget: budget 'eu-cloud': €159.41 a month against a limit of €150.00, €9.41 over"))

        let refused = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("ballast: error: this plan goes over a blocking budget: budget 'eu-cloud': €159.41 a month against a limit of €150.00, €9.41 over; nothing was applied. Pass --allow-over-budget"), "\(refused.stderr)")
        #expect(try await workspace.run(["sim", "ls"]).stdout.contains("sizeGb=50 "), "nothing was applied")

        // A saved plan is judged by the budgets of a plan made now.
        let saved = workspace.directory.file("plan.json")
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", saved]).exitCode == 0)
        let savedRefused = try await workspace.run(["apply", saved])
        #expect(savedRefused.exitCode == 1)
        #expect(savedRefused.stderr.contains("budget 'eu-cloud'"))

        let allowed = try await workspace.run(["apply", workspace.manifests, "--auto-approve", "--allow-over-budget"])
        #expect(allowed.exitCode == 0, "\(allowed.stderr)")
        #expect(try await workspace.run(["sim", "ls"]).stdout.contains("sizeGb=600 "))
        let events = try await workspace.run(["events", "-o", "json"]).stdout
        #expect(events.contains(#""approval": "--allow-over-budget: budget 'eu-cloud': €159.41 a month against a limit of €150.00, €9.41 over""#), "\(events)")

        // Putting drifted storage back is a heal: no budget blocks it.
        #expect(try await workspace.run(["sim", "drift", "Database/orders@eu-central", "sizeGb=40"]).exitCode == 0)
        let heal = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(heal.exitCode == 0, "\(heal.stderr)")
        #expect(try await workspace.run(["sim", "ls"]).stdout.contains("sizeGb=600 "))
    }

    @Test func watchHoldsTheChangeAndHealsWhatIsInForce() async throws {
        let sink = try await EventSinkServer()
        defer { sink.stop() }
        let daemon = try await Daemon(arguments: ["--events-sink", sink.url()])
        defer { Task { await daemon.stop() } }
        let id = "Database/orders@eu-central"
        let file = daemon.manifests + "/eu-central.yaml"
        try daemon.writeManifest("eu-central.yaml", Self.grow(try String(contentsOfFile: file, encoding: .utf8)))
        let held = await WatchProcess.eventually { (try? await daemon.watch.condition("Synced", of: id))?.reason == "OverBudget" }
        #expect(held, "\(daemon.watch.standardError)")
        #expect(try await daemon.world(id)?.contains("sizeGb=50 ") == true, "the change is held")
        let metrics = try await daemon.watch.get("/metrics").body
        #expect(metrics.contains("ballast_resources_over_budget 1"), "\(metrics)")
        let heldEvent = await WatchProcess.eventually { ((try? await sink.received()) ?? []).contains { $0.type == "dev.ballast.budget.held" && $0.data.contains("orders@eu-central") } }
        let budgetEvents = try await sink.received().filter { $0.type.contains("budget") }.map(\.data)
        #expect(heldEvent, "the hold is announced to the event sinks: \(budgetEvents)")

        // Drift on the held resource is healed to the declaration in force.
        #expect(try await daemon.cli(["sim", "drift", id, "sizeGb=10"]).exitCode == 0)
        let healed = await WatchProcess.eventually { (try? await daemon.world(id))?.contains("sizeGb=50 ") == true }
        #expect(healed)

        // A higher limit lets the change through.
        let budgets = daemon.manifests + "/budgets.yaml"
        try daemon.writeManifest("budgets.yaml", try String(contentsOfFile: budgets, encoding: .utf8).replacingOccurrences(of: "monthly: 150", with: "monthly: 500"))
        let applied = await WatchProcess.eventually { (try? await daemon.world(id))?.contains("sizeGb=600 ") == true }
        #expect(applied, "\(daemon.watch.standardError)")
        #expect(try await daemon.watch.condition("Synced", of: id)?.reason == "Updated")
        let released = await WatchProcess.eventually { ((try? await sink.received()) ?? []).contains { $0.type == "dev.ballast.budget.held" && $0.data.contains("\"count\":0") } }
        #expect(released, "and so is its release")
    }

    /// `ballast watch .` from the manifests' own directory: Foundation's path code trapped on
    /// the one-character path when the manifest watch was armed.
    @Test func watchFollowsTheCurrentDirectory() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-dot")
        defer { directory.remove() }
        try FileManager.default.copyItem(atPath: root + "/manifests/examples/hybrid", toPath: directory.file("m"))
        let runner = CLIRunner(workingDirectory: directory.file("m"))
        let watch = try await WatchProcess(cli: runner, arguments: [".", "--state", directory.file("state")], directory: directory.path)
        defer { _ = Task { await watch.terminate() } }
        let bucket = directory.file("m/extra.yaml")
        try Data("""
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: extra, site: eu-central }
            spec: {}

            """.utf8).write(to: URL(fileURLWithPath: bucket))
        let created = await WatchProcess.eventually { (try? await watch.condition("Ready", of: "Bucket/extra@eu-central"))?.status == "True" }
        #expect(created, "\(watch.standardError)")
        #expect(watch.process.isRunning)
    }
}
