import BallastCore
import BallastTesting
import Foundation
import Testing

/// `spec.placement.count` and `prefer` through the real CLI: the plan says why, apply places,
/// and a greener site added later moves nothing.
@Suite("Placement by count")
struct PlacementTests {
    static let greenAPI = """

    ---
    apiVersion: ballast.dev/v1
    kind: Workload
    metadata: { name: green-api }
    spec:
      placement:
        selector: { matchLabels: { tier: edge } }
        count: 2
        prefer: greenest
      image: registry.example.com/api:1.0

    """

    static let oslo = """

    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-oslo, labels: { class: edge, tier: edge } }
    spec: { class: edge, provider: sim, carbon: { gridIntensity: 20, pue: 1.1 } }

    """

    @Test func thePlanExplainsTheChoiceAndANewSiteMovesNothing() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let edge = workspace.manifests + "/edge.yaml"
        try Data((try String(contentsOfFile: edge, encoding: .utf8) + Self.greenAPI).utf8).write(to: URL(fileURLWithPath: edge))
        try FileManager.default.createDirectory(atPath: workspace.state, withIntermediateDirectories: true)
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        // Paris (52 g/kWh) and Berlin (338) are greener than Madrid (no carbon data).
        #expect(plan.stdout.contains("+ Workload/green-api@edge-paris  (new; placed: greenest: 2 of 3 matching sites, 0.1 kgCO2e/mo here)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("+ Workload/green-api@edge-berlin  (new; placed: greenest: 2 of 3 matching sites"))
        #expect(!plan.stdout.contains("green-api@edge-madrid"))
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)

        let sites = workspace.manifests + "/sites.yaml"
        try Data((try String(contentsOfFile: sites, encoding: .utf8) + Self.oslo).utf8).write(to: URL(fileURLWithPath: sites))
        let after = try await workspace.run(["plan", workspace.manifests, "-o", "json"])
        #expect(after.exitCode == 0, "\(after.stderr)")
        #expect(!after.stdout.contains("green-api@edge-oslo"), "the greener new site does not take an existing instance")
        #expect(after.stdout.contains(#""placement": "kept: it exists here (2 of 4 matching sites)""#), "JSON says why each instance stays")
    }
}

/// `placement.failover` through the real CLI and the sim: a site in outage at plan time gets
/// its instance placed elsewhere; when it returns, the replacement is retired.
@Suite("Failover through apply")
struct FailoverApplyTests {
    static let api = TestManifests.failoverWorkload()

    @Test func anOutageAtPlanTimeMovesTheInstanceAndItsReturnRetiresTheReplacement() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let edge = workspace.manifests + "/edge.yaml"
        try Data((try String(contentsOfFile: edge, encoding: .utf8) + Self.api).utf8).write(to: URL(fileURLWithPath: edge))
        try FileManager.default.createDirectory(atPath: workspace.state, withIntermediateDirectories: true)
        let first = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Workload/failover-api@edge-paris"), "Paris is the greenest: \(first.stdout)")

        #expect(try await workspace.run(["sim", "outage", "edge-paris", "on"]).exitCode == 0)
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("+ Workload/failover-api@edge-berlin  (failover; placed: stands in for edge-paris, which is unavailable"), "\(plan.stdout)")
        // The replacement is created; what sits on the site in outage is not, and says so.
        let moved = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(moved.exitCode == 1, "\(moved.stderr)")
        #expect(moved.stderr.contains("on sites that could not be observed (edge-paris) were not applied"), "\(moved.stderr)")
        let state = try await workspace.run(["get", "Workload/failover-api@edge-berlin", "-o", "json"])
        #expect(state.stdout.contains(#""standsInFor": "edge-paris""#), "the decision is recorded with the instance: \(state.stdout)")
        let again = try await workspace.run(["plan", workspace.manifests])
        #expect(!again.stdout.contains("+ Workload/failover-api"), "a second plan during the outage moves nothing more: \(again.stdout)")

        // With every other edge site down too, nothing can move: the plan says so, and deletes nothing.
        for site in ["edge-berlin", "edge-madrid"] { #expect(try await workspace.run(["sim", "outage", site, "on"]).exitCode == 0) }
        let stuck = try await workspace.run(["plan", workspace.manifests])
        #expect(stuck.stderr.contains("warning: Workload/failover-api@edge-paris cannot fail over: site 'edge-paris' is unavailable") || stuck.stdout.contains("cannot fail over"), "\(stuck.stdout)\(stuck.stderr)")
        #expect(!stuck.stdout.contains("- Workload/failover-api"), "\(stuck.stdout)")
        for site in ["edge-berlin", "edge-madrid"] { #expect(try await workspace.run(["sim", "outage", site, "off"]).exitCode == 0) }

        #expect(try await workspace.run(["sim", "outage", "edge-paris", "off"]).exitCode == 0)
        let back = try await workspace.run(["plan", workspace.manifests])
        #expect(back.stdout.contains("- Workload/failover-api@edge-berlin  (retired by placement: failback: edge-paris is healthy again and Workload/failover-api@edge-paris is Ready)"), "\(back.stdout)")
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let settled = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"])
        #expect(settled.exitCode == 0, "nothing left to do: \(settled.stdout)")
    }
}

/// End to end: `ballast watch` on the sim, `ballast sim outage` takes the workload's site
/// down, the daemon moves it, and moves it back once the site returns.
@Suite("Failover in ballast watch")
struct FailoverWatchCLITests {
    @Test func aSimOutageMovesTheWorkloadAndTheSitesReturnMovesItBack() async throws {
        let api = TestManifests.failoverWorkload(after: "2s")
        let daemon = try await Daemon(arguments: ["--prune-delay", "1s"], edit: { $0.hasPrefix("# Edge:") ? $0 + api : $0 })
        #expect(try await daemon.world("Workload/failover-api@edge-paris") != nil, "\(daemon.watch.standardError)")
        try await daemon.cli(["sim", "outage", "edge-paris", "on"])
        // A change on the site makes the daemon call it, and find it down.
        try await daemon.cli(["sim", "drift", "Workload/failover-api@edge-paris", "image=evil:1"])
        let moved = try await WatchProcess.eventually(timeout: .seconds(60)) { try await daemon.world("Workload/failover-api@edge-berlin") != nil }
        #expect(moved, "\(daemon.watch.standardError)")
        let metrics = try await daemon.watch.get("/metrics").body
        #expect(metrics.contains(#"ballast_failovers_total{direction="failover"} 1"#), "\(metrics.split(separator: "\n").filter { $0.contains("failover") })")
        #expect(try await daemon.world("Workload/failover-api@edge-paris") != nil, "nothing is deleted on the site in outage")

        try await daemon.cli(["sim", "outage", "edge-paris", "off"])
        let back = try await WatchProcess.eventually(timeout: .seconds(60)) { try await daemon.world("Workload/failover-api@edge-berlin") == nil }
        #expect(back, "\(daemon.watch.standardError)")
        let home = try await daemon.world("Workload/failover-api@edge-paris")
        #expect(home?.contains(#"image="registry.example.com/api:1.0""#) == true, "the instance on Paris is healed and kept: \(home ?? "gone")")
        let events = try await daemon.journal().compactMap { event -> String? in
            guard case .map(let fields) = event else { return nil }
            return "\(fields["action"]?.stringValue ?? "") \(fields["id"]?.stringValue ?? "")"
        }
        #expect(events.contains("create Workload/failover-api@edge-berlin") && events.contains("delete Workload/failover-api@edge-berlin"), "\(events)")
        await daemon.stop()
    }
}
