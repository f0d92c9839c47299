import Testing
import BallastTesting
@testable import BallastCore

@Suite("Sprawl: ignore lists and imported manifests")
struct SprawlUnitTests {
    @Test func ignorePatternsMatchIdsAndGlobs() {
        let list = IgnoreList(text: """
            # known leftovers
            Bucket/terraform-state@aws-eu
            Bucket/tmp-*@*      # scratch buckets anywhere
            *@legacy-dc
            Queue/job-?@aws-eu

            """)
        #expect(list.patterns.count == 4)
        for id in ["Bucket/terraform-state@aws-eu", "Bucket/tmp-1@aws-eu", "Bucket/tmp-@x", "Database/erp@legacy-dc", "Queue/job-7@aws-eu"] {
            #expect(list.ignores(ResourceID(parsing: id)!), "\(id)")
        }
        for id in ["Bucket/terraform-state@aws-us", "Bucket/tmp@aws-eu", "Queue/job-10@aws-eu", "Database/erp@legacy-dc2"] {
            #expect(!list.ignores(ResourceID(parsing: id)!), "\(id)")
        }
    }

    @Test func anImportedManifestValidatesAndNeverHoldsASecret() throws {
        let kind = try #require(TestManifests.catalog.providers["sim"]?.kind("Database"))
        let observed = Observed(
            id: ResourceID(kind: "Database", name: "billing", site: "cloud-a"),
            spec: Fields(["engine": .string("mysql"), "sizeGb": .int(30), "password": .string("hunter2"), "version": .string("${x}"), "highAvailability": .bool(false)]),
            outputs: Fields(["endpoint": .string("db.example")]), revision: "1")
        let (text, environment) = try ImportedManifest.document(for: observed, kind: kind)
        #expect(environment == ["BALLAST_IMPORT_DATABASE_BILLING_PASSWORD"])
        #expect(!text.contains("hunter2") && !text.contains("db.example"))
        let loaded = TestManifests.load(sitesYAML + "---\n" + text)
        let resource = try #require(loaded.desired?.resources.first { $0.id == observed.id }, "\(messages(loaded))")
        #expect(resource.spec["version"] == .string("${x}") && !resource.templatePaths.contains("version"), "the escape reads back as the text observed, not a reference")
        #expect(resource.spec["sizeGb"] == .int(30))
        let bad = Observed(id: ResourceID(kind: "Database", name: "Billing.Old", site: "cloud-a"), spec: Fields(), revision: "1")
        #expect(throws: ImportedManifest.Refusal.self) { try ImportedManifest.document(for: bad, kind: kind) }
    }
}
