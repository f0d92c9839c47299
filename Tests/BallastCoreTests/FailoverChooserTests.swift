import BallastTesting
import Testing
@testable import BallastCore

/// `placement.failover`: the pure decisions, given how long sites have been down or back.
@Suite("Failover decisions")
struct FailoverChooserTests {
    static let api = PlacementChooserTests.sites + PlacementChooserTests.workload(count: 1, prefer: "cheapest", extra: "")
        .replacingOccurrences(of: "count: 1", with: "count: 1\n    failover: true\n    failoverAfter: 60s")
    static let manual = api.replacingOccurrences(of: "failoverAfter: 60s", with: "failoverAfter: 60s\n    failback: manual")
    /// A record on another site that refers to the workload on edge-d by name.
    static let dependent = """
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: global }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: DNSRecord
    metadata: { name: api, site: global }
    spec: { zone: example.com, record: api, type: CNAME, value: "${Workload/api@edge-d.outputs.endpoint}" }

    """

    static func id(_ text: String) -> ResourceID { ResourceID(parsing: text)! }

    static func choose(_ text: String, _ facts: PlacementFacts) throws -> DesiredState {
        let loaded = TestManifests.load(text)
        let desired = try #require(loaded.desired, "\(loaded.diagnostics.items.map(\.message))")
        let (result, problems) = PlacementChooser.choose(desired, facts: facts, catalog: TestManifests.catalog)
        #expect(problems.isEmpty, "\(problems.map(\.message))")
        return result
    }

    static func sites(_ desired: DesiredState) -> [String] {
        desired.resources.filter { $0.id.kind == "Workload" }.map(\.id.site).sorted()
    }

    static let home = id("Workload/api@edge-d")
    static func outage(_ seconds: Int64) -> PlacementFacts.Outage { PlacementFacts.Outage(lasted: .seconds(seconds), reason: "connection refused") }

    @Test func anOutageLongerThanFailoverAfterMovesTheInstanceAndItsReferences() throws {
        let desired = try Self.choose(Self.api + Self.dependent, PlacementFacts(existing: [Self.home: .init()], outages: ["edge-d": Self.outage(61)]))
        #expect(Self.sites(desired) == ["edge-b", "edge-d"], "the home stays (it cannot be deleted now); b is the cheapest available")
        let replacement = try #require(desired.resources.first { $0.id == Self.id("Workload/api@edge-b") })
        #expect(replacement.standsInFor == "edge-d")
        #expect(desired.failover.moves == [.init(direction: .failover, manifest: "Workload/api", from: "edge-d", to: "edge-b")])
        #expect(desired.placementNotes[replacement.id] == "stands in for edge-d, which has been unavailable for 1m1s (connection refused); cheapest, €20.00/mo here")
        let record = try #require(desired.resources.first { $0.id.kind == "DNSRecord" })
        #expect(record.dependencies == [replacement.id], "the reference follows the replacement")
        #expect(record.referenceTargets["Workload/api@edge-d"] == replacement.id)
        #expect(record.layer > replacement.layer)
        #expect(desired.retiredInstances.isEmpty)
    }

    @Test func aShorterOutageMovesNothingAndSaysWhenItWill() throws {
        let desired = try Self.choose(Self.api, PlacementFacts(existing: [Self.home: .init()], outages: ["edge-d": Self.outage(20)]))
        #expect(Self.sites(desired) == ["edge-d"])
        #expect(desired.failover.moves.isEmpty)
        #expect(desired.failover.recheckAfter == .seconds(40))
        #expect(desired.placementNotes[Self.home] == "site has been unavailable for 20s (connection refused); fails over after 1m")
    }

    @Test func aRestartKeepsTheDecision() throws {
        // The replacement exists and the inventory says it stands in for edge-d: no new move.
        let replacement = Self.id("Workload/api@edge-c")
        let desired = try Self.choose(Self.api, PlacementFacts(
            existing: [Self.home: .init(), replacement: .init(standsInFor: "edge-d")], outages: ["edge-d": Self.outage(5)]))
        #expect(Self.sites(desired) == ["edge-c", "edge-d"], "c keeps standing in, even though b is cheaper and the outage clock restarted")
        #expect(desired.failover.moves.isEmpty)
    }

    @Test func automaticFailbackWaitsForTheSiteToStayHealthyAndItsInstanceToBeReady() throws {
        let replacement = Self.id("Workload/api@edge-b")
        let existing: [ResourceID: PlacementFacts.Instance] = [Self.home: .init(), replacement: .init(standsInFor: "edge-d")]
        let early = try Self.choose(Self.api, PlacementFacts(existing: existing, recovered: ["edge-d": .seconds(30)]))
        #expect(Self.sites(early) == ["edge-b", "edge-d"], "back for 30 s of 60: the replacement stays")
        #expect(early.failover.recheckAfter == .seconds(30))
        var notReady = existing
        notReady[Self.home] = .init(ready: false)
        let waiting = try Self.choose(Self.api, PlacementFacts(existing: notReady, recovered: ["edge-d": .seconds(90)]))
        #expect(Self.sites(waiting) == ["edge-b", "edge-d"], "the replacement is retired only once the home is Ready")
        let back = try Self.choose(Self.api, PlacementFacts(existing: existing, recovered: ["edge-d": .seconds(90)]))
        #expect(Self.sites(back) == ["edge-d"])
        #expect(back.retiredInstances[replacement] == "failback: edge-d is healthy again and Workload/api@edge-d is Ready")
        #expect(back.failover.moves == [.init(direction: .failback, manifest: "Workload/api", from: "edge-b", to: "edge-d")])
    }

    @Test func manualFailbackKeepsTheReplacementOnceItIsReady() throws {
        let replacement = Self.id("Workload/api@edge-b")
        let notReady = try Self.choose(Self.manual + Self.dependent, PlacementFacts(existing: [Self.home: .init(), replacement: .init(standsInFor: "edge-d", ready: false)]))
        #expect(Self.sites(notReady) == ["edge-b", "edge-d"], "the returning instance stays until the replacement is Ready")
        let ready = try Self.choose(Self.manual + Self.dependent, PlacementFacts(existing: [Self.home: .init(), replacement: .init(standsInFor: "edge-d")]))
        #expect(Self.sites(ready) == ["edge-b"])
        #expect(ready.retiredInstances[Self.home] == "failback: manual: Workload/api@edge-b stands in for it and is Ready")
        #expect(ready.resources.first { $0.id.kind == "DNSRecord" }?.dependencies == [replacement], "references keep following the replacement")
        // Once the old one is gone, the replacement simply holds the slot.
        let after = try Self.choose(Self.manual + Self.dependent, PlacementFacts(existing: [replacement: .init(standsInFor: "edge-d")]))
        #expect(Self.sites(after) == ["edge-b"])
        #expect(after.resources.first { $0.id.kind == "DNSRecord" }?.dependencies == [replacement])
    }

    @Test func withNoOtherSiteNothingMovesAndNothingIsDeleted() throws {
        let down = ["edge-a", "edge-b", "edge-c", "edge-d"].reduce(into: [String: PlacementFacts.Outage]()) { $0[$1] = Self.outage(300) }
        let desired = try Self.choose(Self.api, PlacementFacts(existing: [Self.home: .init()], outages: down))
        #expect(Self.sites(desired) == ["edge-d"])
        #expect(desired.retiredInstances.isEmpty)
        #expect(desired.failover.moves.isEmpty)
        #expect(desired.failover.impossible[Self.home] == "site 'edge-d' has been unavailable for 5m (connection refused) and no other matching site can take Workload/api: edge-a (unavailable), edge-b (unavailable), edge-c (unavailable); nothing is deleted")
    }

    @Test func theLastHealthyInstanceIsNeverRetired() throws {
        // count 1; the instance on d is down (briefly), another on a (recorded without a
        // decision, say after a crash) is healthy: a is kept, whatever the ranking says.
        let desired = try Self.choose(Self.api, PlacementFacts(
            existing: [Self.home: .init(), Self.id("Workload/api@edge-a"): .init()], outages: ["edge-d": Self.outage(10)]))
        #expect(Self.sites(desired) == ["edge-a"])
        #expect(desired.retiredInstances[Self.home] != nil, "the one on d goes when d can be reached again")
    }

    @Test func noBudgetHoldsAFailover() throws {
        // €15 a month on the edge: the €10 instance on d fits; its €20 replacement on b would not.
        let budget = """
        ---
        apiVersion: ballast.dev/v1
        kind: Budget
        metadata: { name: edge }
        spec: { siteSelector: { matchLabels: { tier: edge } }, monthly: 15, currency: EUR, enforce: block }

        """
        let desired = try Self.choose(Self.api + budget, PlacementFacts(existing: [Self.home: .init()], outages: ["edge-d": Self.outage(61)]))
        let replacement = Self.id("Workload/api@edge-b")
        #expect(desired.resources.contains { $0.id == replacement })
        let inForce = Dictionary(uniqueKeysWithValues: desired.resources.filter { $0.id == Self.home }.map { ($0.id, $0.spec) })
        #expect(BudgetHolds.compute(declared: desired, inForce: inForce, catalog: TestManifests.catalog).isEmpty, "a failover is a heal")
        // The same instance declared as a change of the manifests would be held.
        var declared = desired
        for index in declared.resources.indices { declared.resources[index].standsInFor = nil }
        #expect(BudgetHolds.compute(declared: declared, inForce: inForce, catalog: TestManifests.catalog)[replacement] != nil)
        #expect(ActionReason.failover.passesBudgets && !ActionReason.new.passesBudgets)
    }

    @Test func newInstancesAvoidSitesThatAreDown() throws {
        let desired = try Self.choose(Self.api, PlacementFacts(outages: ["edge-d": Self.outage(1)]))
        #expect(Self.sites(desired) == ["edge-b"])
    }

    @Test func failoverNeedsCountAndItsOptionsNeedFailover() {
        let loaded = TestManifests.load(PlacementChooserTests.sites + """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: api }
        spec:
          placement: { sites: [edge-a, edge-b], failover: true }
          image: api:1
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: web }
        spec:
          placement: { sites: [edge-a, edge-b], count: 1, failoverAfter: 5m, failback: manual }
          image: web:1
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: bad }
        spec:
          placement: { sites: [edge-a, edge-b], count: 1, failover: true, failoverAfter: soon }
          image: bad:1

        """)
        let messages = loaded.diagnostics.items.map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.message)" }
        #expect(messages.contains { $0.hasSuffix("'spec.placement.failover' moves an instance to another of the matching sites, so it needs 'count' (how many of them run one)") }, "\(messages)")
        #expect(messages.contains { $0.hasSuffix("'spec.placement.failoverAfter' applies only with 'failover: true'") })
        #expect(messages.contains { $0.hasSuffix("'spec.placement.failback' applies only with 'failover: true'") })
        #expect(messages.contains { $0.contains("'spec.placement.failoverAfter' must be a duration from 1s to 168h") })
    }
}
