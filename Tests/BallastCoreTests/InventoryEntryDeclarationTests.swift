import BallastCore
import Foundation
import Testing

/// What the inventory keeps of a declaration when the resource itself needs no action: the
/// one rule `apply` and the watch daemon record by.
@Suite("Recorded declaration")
struct InventoryEntryDeclarationTests {
    private let id = ResourceID(kind: "Bucket", name: "b", site: "s")

    private func entry() -> InventoryEntry {
        InventoryEntry(id: id, spec: Fields(), specDigest: "d", dependencies: [], createdAt: Date(), updatedAt: Date(), labels: ["team": "a"], manifest: "/estate/a.yaml")
    }

    private func resource(policy: Policy = Policy(), labels: StringMap = ["team": "a"], manifest: String? = "/estate/a.yaml") -> DesiredResource {
        var resource = DesiredResource(id: id, labels: labels)
        resource.policy = policy
        resource.manifest = manifest
        return resource
    }

    @Test func nothingToRecordWhenTheDeclarationIsAsRecorded() {
        #expect(entry().recordingDeclaration(of: resource(), fromGit: false) == nil)
        #expect(entry().recordingDeclaration(of: resource(manifest: nil), fromGit: false) == nil, "standard input keeps the file")
        #expect(entry().recordingDeclaration(of: resource(manifest: "/checkout/1234/a.yaml"), fromGit: true) == nil, "a git checkout keeps the file")
    }

    @Test func aPolicyLabelsOrFileThatChangedIsRecorded() throws {
        let protected = try #require(entry().recordingDeclaration(of: resource(policy: Policy(preventDestroy: true, prune: false)), fromGit: false))
        #expect(protected.preventDestroy && !protected.prune)
        #expect(try #require(entry().recordingDeclaration(of: resource(labels: ["team": "b"]), fromGit: false)).labels == ["team": "b"])
        #expect(try #require(entry().recordingDeclaration(of: resource(manifest: "/estate/b.yaml"), fromGit: false)).manifest == "/estate/b.yaml")
    }
}
