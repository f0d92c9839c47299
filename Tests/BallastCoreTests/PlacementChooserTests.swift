import BallastTesting
import Testing
@testable import BallastCore

/// `spec.placement.count` with `prefer`: deterministic, stable, explained.
@Suite("Placement by count and preference")
struct PlacementChooserTests {
    /// Four edge sites: a is dearest and dirtiest, d cheapest and cleanest, b and c tie.
    static let sites = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-a, labels: { tier: edge, price: high } }
    spec: { class: edge, provider: sim, carbon: { gridIntensity: 800 } }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-b, labels: { tier: edge, price: mid } }
    spec: { class: edge, provider: sim, carbon: { gridIntensity: 300 } }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-c, labels: { tier: edge, price: mid } }
    spec: { class: edge, provider: sim, carbon: { gridIntensity: 300 } }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-d, labels: { tier: edge, price: low } }
    spec: { class: edge, provider: sim, carbon: { gridIntensity: 20 } }
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: high }
    spec:
      selector: { matchLabels: { price: high } }
      currency: EUR
      models: [{ provider: sim, kind: Workload, terms: [{ name: replica, perMonth: 30, watts: 10 }] }]
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: mid }
    spec:
      selector: { matchLabels: { price: mid } }
      currency: EUR
      models: [{ provider: sim, kind: Workload, terms: [{ name: replica, perMonth: 20, watts: 10 }] }]
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: low }
    spec:
      selector: { matchLabels: { price: low } }
      currency: EUR
      models: [{ provider: sim, kind: Workload, terms: [{ name: replica, perMonth: 10, watts: 10 }] }]

    """

    static func workload(count: Int, prefer: String?, extra: String = "") -> String {
        """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: api }
        spec:
          placement:
            selector: { matchLabels: { tier: edge } }
            count: \(count)
        \(prefer.map { "    prefer: \($0)\n" } ?? "")  image: api:1
        \(extra)
        """
    }

    static func chosen(_ text: String, existing: Set<String> = []) throws -> (sites: [String], notes: [String: String]) {
        let loaded = TestManifests.load(text)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        let (result, problems) = PlacementChooser.choose(desired, existing: Set(existing.map { ResourceID(parsing: $0)! }), catalog: TestManifests.catalog)
        #expect(problems.isEmpty)
        let api = result.resources.filter { $0.id.name == "api" }
        return (api.map(\.id.site).sorted(), Dictionary(uniqueKeysWithValues: api.map { ($0.id.site, result.placementNotes[$0.id] ?? "") }))
    }

    @Test func cheapestAndGreenestWithTiesByName() throws {
        let cheapest = try Self.chosen(Self.sites + Self.workload(count: 2, prefer: "cheapest"))
        #expect(cheapest.sites == ["edge-b", "edge-d"], "d is cheapest; b and c tie, b first by name")
        #expect(cheapest.notes["edge-d"] == "cheapest: 2 of 4 matching sites, €10.00/mo here")
        let greenest = try Self.chosen(Self.sites + Self.workload(count: 3, prefer: "greenest"))
        #expect(greenest.sites == ["edge-b", "edge-c", "edge-d"])
        let plain = try Self.chosen(Self.sites + Self.workload(count: 2, prefer: nil))
        #expect(plain.sites == ["edge-a", "edge-b"], "without a preference: by site name")
    }

    @Test func spreadGoesWhereTheFewestResourcesAre() throws {
        let busy = """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: busy }
        spec:
          placement: { sites: [edge-a, edge-b] }
          image: busy:1

        """
        let spread = try Self.chosen(Self.sites + busy + Self.workload(count: 2, prefer: "spread"))
        #expect(spread.sites == ["edge-c", "edge-d"])
        #expect(spread.notes["edge-c"] == "spread: 2 of 4 matching sites, 0 resources on the site before")
    }

    @Test func existingInstancesNeverMoveForAPreferenceOrANewSite() throws {
        // Instances on a and c exist; the cheapest sites are d and b, yet nothing moves.
        let kept = try Self.chosen(Self.sites + Self.workload(count: 2, prefer: "cheapest"), existing: ["Workload/api@edge-a", "Workload/api@edge-c"])
        #expect(kept.sites == ["edge-a", "edge-c"])
        #expect(kept.notes["edge-a"] == "kept: it exists here (2 of 4 matching sites)")
        // One more: the new instance follows the preference.
        let grown = try Self.chosen(Self.sites + Self.workload(count: 3, prefer: "cheapest"), existing: ["Workload/api@edge-a", "Workload/api@edge-c"])
        #expect(grown.sites == ["edge-a", "edge-c", "edge-d"])
        // Fewer: the preference decides which existing one stays.
        let shrunk = try Self.chosen(Self.sites + Self.workload(count: 1, prefer: "cheapest"), existing: ["Workload/api@edge-a", "Workload/api@edge-c"])
        #expect(shrunk.sites == ["edge-c"])
    }

    @Test func placementMistakesAreReportedWhereTheyAreWritten() {
        let tooMany = TestManifests.load(Self.sites + Self.workload(count: 5, prefer: nil))
        #expect(messages(tooMany).contains { $0.contains("error: 'Workload/api' asks for 5 sites, but only 4 match (edge-a, edge-b, edge-c, edge-d)") }, "\(messages(tooMany))")
        let noCount = TestManifests.load(Self.sites + """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: api }
        spec:
          placement: { sites: [edge-a], prefer: cheapest }
          image: api:1

        """)
        #expect(messages(noCount).contains { $0.hasSuffix("error: 'spec.placement.prefer' chooses among the matching sites, so it needs 'count'") }, "\(messages(noCount))")
        let stateful = TestManifests.load(Self.sites + """
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: db }
        spec:
          placement: { sites: [edge-a], failover: true }
          engine: postgres
          sizeGb: 10

        """)
        #expect(messages(stateful).contains { $0.contains("error: 'Database/db' asks to fail over, but Database is not relocatable") }, "\(messages(stateful))")
        let relocatable = TestManifests.load(Self.sites + Self.workload(count: 1, prefer: nil).replacingOccurrences(of: "count: 1", with: "count: 1\n    failover: true"))
        #expect(relocatable.desired != nil, "\(messages(relocatable))")
    }

    @Test func aReferenceToAnInstanceNotChosenIsAnError() throws {
        let dependent = """
        ---
        apiVersion: ballast.dev/v1
        kind: DNSRecord
        metadata: { name: api, site: edge-a }
        spec: { zone: example.com, record: api, type: CNAME, value: "${Workload/api.outputs.endpoint}" }

        """
        let loaded = TestManifests.load(Self.sites + Self.workload(count: 1, prefer: "cheapest") + dependent)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        let (_, problems) = PlacementChooser.choose(desired, existing: [], catalog: TestManifests.catalog)
        #expect(problems.map(\.message).contains { $0.hasPrefix("DNSRecord/api@edge-a refers to Workload/api on site 'edge-a', but placement did not choose that site") }, "\(problems.map(\.message))")
    }
}
