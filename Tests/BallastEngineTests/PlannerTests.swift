import BallastCore
import BallastTesting
import Foundation
import Testing

private let site = """
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: s1 }
spec: { class: cloud, provider: sim }
---

"""

private func plan(_ yaml: String, observed: [Observed] = [], inventory: [InventoryEntry] = [], unavailable: [String: String] = [:]) throws -> (plan: Plan, diagnostics: [Diagnostic], desired: DesiredState) {
    let loaded = TestManifests.load(site + yaml)
    let desired = try #require(loaded.desired, "\(loaded.diagnostics.items.map(\.message))")
    let observation = Observation(resources: ResourceTable(uniqueKeysWithValues: observed.map { ($0.id, $0) }), unavailableSites: unavailable)
    let result = Planner(catalog: TestManifests.catalog).plan(.init(
        desired: desired, observation: observation, inventory: Inventory(uniqueKeysWithValues: inventory.map { ($0.id, $0) }),
        secrets: [.env("DB_PASSWORD"): "hunter2"], inputs: ["test.yaml"], inputDigest: "digest"))
    return (result.plan, result.diagnostics, desired)
}

private let database = """
apiVersion: ballast.dev/v1
kind: Database
metadata: { name: db, site: s1 }
spec:
  engine: postgres
  sizeGb: 50
  password: ${env:DB_PASSWORD}
  tags: { team: a }

"""

private let dbID = ResourceID(kind: "Database", name: "db", site: "s1")

private func observedDB(_ changes: [String: Value] = [:]) -> Observed {
    var spec = Fields(["engine": .string("postgres"), "sizeGb": .int(50), "password": .string("hunter2"), "tags": .map(Fields(["team": .string("a")]))])
    for (key, value) in changes { spec[key] = value }
    return Observed(id: dbID, spec: spec, outputs: Fields(["id": .string("db-1")]), revision: "7")
}

@Suite("Planner")
struct PlannerTests {
    @Test func matchingWorldGivesNoChanges() throws {
        let result = try plan(database, observed: [observedDB()])
        #expect(!result.plan.hasChanges)
        #expect(result.plan.actions.map(\.action) == [.noop])
    }

    @Test func missingResourceIsCreatedWithSecretsRedacted() throws {
        let result = try plan(database)
        let action = try #require(result.plan.actions.first)
        #expect(action.action == .create)
        #expect(action.reason == .new)
        let password = try #require(action.changes.first { $0.path == "password" })
        #expect(password.sensitive && password.after == nil && password.before == nil)
    }

    @Test func changedFieldIsAnUpdateWithItsChange() throws {
        let result = try plan(database, observed: [observedDB(["sizeGb": .int(80)])])
        let action = try #require(result.plan.actions.first)
        #expect(action.action == .update)
        #expect(action.reason == .changed)
        #expect(action.changes == [FieldChange(path: "sizeGb", before: .int(80), after: .int(50))])
        #expect(action.observedRevision == "7")
    }

    @Test func driftIsNamedWhenTheManifestDidNotChange() throws {
        let loaded = TestManifests.load(site + database)
        let resource = try #require(loaded.desired?.resources.first)
        let applied = AppliedInput.digest(resource, secrets: [.env("DB_PASSWORD"): "hunter2"], key: [])
        let entry = InventoryEntry(id: dbID, spec: resource.spec, specDigest: applied, createdAt: Date(), updatedAt: Date())
        let result = try plan(database, observed: [observedDB(["sizeGb": .int(80)])], inventory: [entry])
        #expect(result.plan.actions.first?.reason == .drifted)
    }

    /// The same spec applied with another secret value: the secret was rotated, not drift.
    @Test func aRotatedSecretIsNamedAsSuch() throws {
        let loaded = TestManifests.load(site + database)
        let resource = try #require(loaded.desired?.resources.first)
        let applied = AppliedInput.digest(resource, secrets: [.env("DB_PASSWORD"): "old-value"], key: [])
        let entry = InventoryEntry(id: dbID, spec: resource.spec, specDigest: applied, createdAt: Date(), updatedAt: Date())
        let result = try plan(database, observed: [observedDB(["password": .string("old-value")])], inventory: [entry])
        #expect(result.plan.actions.first?.reason == .secretChanged)
    }

    @Test func mapFieldsCompareEveryKey() throws {
        let result = try plan(database, observed: [observedDB(["tags": .map(Fields(["team": .string("a"), "extra": .string("x")]))])])
        #expect(result.plan.actions.first?.changes.map(\.path) == ["tags.extra"])
    }

    @Test func immutableChangeIsAReplaceNamingTheField() throws {
        let result = try plan(database, observed: [observedDB(["engine": .string("mysql")])])
        let action = try #require(result.plan.actions.first)
        #expect(action.action == .replace)
        #expect(action.forcedBy == ["engine"])
        #expect(result.plan.summaryLine == "Plan: 0 to add, 0 to change, 1 to replace, 0 to destroy.")
    }

    @Test func preventDestroyForbidsAReplace() throws {
        let result = try plan(database + "policy: { preventDestroy: true }\n", observed: [observedDB(["engine": .string("mysql")])])
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("policy.preventDestroy") == true)
    }

    @Test func ignoredChangesAreNotActedOn() throws {
        let result = try plan(database + "policy: { ignoreChanges: [spec.sizeGb, spec.tags] }\n", observed: [observedDB(["sizeGb": .int(99), "tags": .map(Fields())])])
        #expect(!result.plan.hasChanges)
    }

    @Test func observeOnlyResourcesReportDriftButGetNoAction() throws {
        let result = try plan(database + "policy: { management: observe }\n", observed: [observedDB(["sizeGb": .int(99)])])
        #expect(!result.plan.hasChanges)
        #expect(result.plan.drift.map(\.id) == [dbID])
        #expect(result.plan.drift.first?.changes.map(\.path) == ["sizeGb"])
    }

    @Test func undeclaredManagedResourceIsDeletedUnlessProtected() throws {
        let bucket = ResourceID(kind: "Bucket", name: "old", site: "s1")
        let entry = InventoryEntry(id: bucket, spec: Fields(), specDigest: "x", createdAt: Date(), updatedAt: Date())
        let observedBucket = Observed(id: bucket, spec: Fields(), revision: "3")
        let result = try plan(database, observed: [observedDB(), observedBucket], inventory: [entry])
        #expect(result.plan.actions.map(\.action) == [.delete, .noop])
        var protected = entry
        protected.preventDestroy = true
        let refused = try plan(database, observed: [observedDB(), observedBucket], inventory: [protected])
        #expect(refused.diagnostics.first?.message.contains("preventDestroy") == true)
        var orphan = entry
        orphan.deletion = .orphan
        let orphaned = try plan(database, observed: [observedDB(), observedBucket], inventory: [orphan])
        #expect(orphaned.plan.actions.first?.reason == .orphaned)
    }

    @Test func unavailableSiteMarksItsResourcesUnknown() throws {
        let result = try plan(database, unavailable: ["s1": "site s1 is in outage"])
        #expect(result.plan.actions.isEmpty)
        #expect(result.plan.unknown.map(\.id) == [dbID])
        #expect(result.plan.warnings.count == 1)
    }

    @Test func referencesToExistingOutputsResolveAndToNewOnesAreUnknown() throws {
        let yaml = """
        apiVersion: ballast.dev/v1
        kind: Network
        metadata: { name: net, site: s1 }
        spec: { cidr: 10.0.0.0/16 }
        ---
        apiVersion: ballast.dev/v1
        kind: Subnet
        metadata: { name: sub, site: s1 }
        spec: { network: "${Network/net.outputs.networkId}", cidr: 10.0.1.0/24 }
        """
        let net = ResourceID(kind: "Network", name: "net", site: "s1")
        let sub = ResourceID(kind: "Subnet", name: "sub", site: "s1")
        let fresh = try plan(yaml)
        #expect(fresh.plan.actions.last?.changes.first { $0.path == "network" }?.afterUnknown == true)
        let existing = try plan(yaml, observed: [
            Observed(id: net, spec: Fields(["cidr": .string("10.0.0.0/16")]), outputs: Fields(["networkId": .string("net-1")]), revision: "1"),
            Observed(id: sub, spec: Fields(["cidr": .string("10.0.1.0/24"), "network": .string("net-1")]), revision: "2"),
        ])
        #expect(!existing.plan.hasChanges)
    }
}
