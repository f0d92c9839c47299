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
