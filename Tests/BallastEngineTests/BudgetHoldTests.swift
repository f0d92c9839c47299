import BallastCore
import BallastEngine
import BallastTesting
import Testing

/// Watch mode's holds across reloads: a held change stays held, and what is kept in force is
/// what was in force, never the held declaration itself.
@Suite("Budget holds across reloads")
struct BudgetHoldTests {
    static let estate = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-a }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: prices }
    spec:
      currency: EUR
      models: [{ provider: sim, kind: Database, terms: [{ name: storage, quantity: { field: sizeGb }, perMonth: 1 }] }]
    ---
    apiVersion: ballast.dev/v1
    kind: Budget
    metadata: { name: cap }
    spec: { monthly: 100, currency: EUR }
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: small, site: cloud-a, labels: { note: NOTE } }
    spec: { engine: postgres, sizeGb: SMALL }

    """

    static let big = """
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: big, site: cloud-a }
    spec: { engine: postgres, sizeGb: 500 }

    """

    static func desired(_ text: String, previous: Reconciler.Desired?) throws -> Reconciler.Desired {
        let loaded = TestManifests.load(text)
        var desired = Reconciler.Desired(try #require(loaded.desired), secrets: [:])
        desired.holdOverBudget(inForce: { previous?.inForceSpecs ?? [:] }, previous: previous, catalog: TestManifests.catalog)
        return desired
    }

    static func estate(small: Int, note: String = "a") -> String {
        estate.replacingOccurrences(of: "SMALL", with: String(small)).replacingOccurrences(of: "NOTE", with: note)
    }

    @Test func aHeldNewResourceStaysUncreatedThroughUnrelatedReloads() throws {
        let first = try Self.desired(Self.estate(small: 10), previous: nil)
        #expect(first.overBudget.isEmpty)
        let grown = try Self.desired(Self.estate(small: 10) + Self.big, previous: first)
        let held = try #require(grown.overBudget[ResourceID(parsing: "Database/big@cloud-a")!])
        #expect(held.inForce == nil, "new: nothing is in force for it")
        // An unrelated edit reloads the manifests: the big database is still held, still new.
        let edited = try Self.desired(Self.estate(small: 10, note: "b") + Self.big, previous: grown)
        let still = try #require(edited.overBudget[ResourceID(parsing: "Database/big@cloud-a")!])
        #expect(still.inForce == nil, "the held declaration must never become the one in force")
        #expect(edited.inForceSpecs[ResourceID(parsing: "Database/big@cloud-a")!] == nil)
    }

    @Test func aHeldChangeKeepsTheDeclarationThatWasInForce() throws {
        let first = try Self.desired(Self.estate(small: 10), previous: nil)
        let grown = try Self.desired(Self.estate(small: 300), previous: first)
        let id = ResourceID(parsing: "Database/small@cloud-a")!
        #expect(grown.overBudget[id]?.inForce?.spec["sizeGb"] == .int(10))
        let edited = try Self.desired(Self.estate(small: 300, note: "b"), previous: grown)
        #expect(edited.overBudget[id]?.inForce?.spec["sizeGb"] == .int(10), "still the 10 GB declaration, not the held 300 GB one")
        // Back within the limit: released.
        let shrunk = try Self.desired(Self.estate(small: 50), previous: edited)
        #expect(shrunk.overBudget.isEmpty)
    }
}
