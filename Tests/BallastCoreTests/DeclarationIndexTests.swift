import BallastCore
import BallastTesting
import Foundation
import Testing

/// Where a document that left its file may be now: the files beside the ones given, read
/// without validating them.
@Suite("Declaration index")
struct DeclarationIndexTests {
    @Test func onlyBallastDocumentsDeclareAndOnlyBrokenBallastFilesAreUnknown() {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("b.yaml", "# renamed from team-b.yaml\napiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: b, site: lab }\nspec: {}\n---\napiVersion: ballast.dev/v1\nkind: Database\nmetadata: { name: placed }\nspec: { placement: { matchLabels: { tier: db } } }\n")
        directory.write("k8s.yaml", "apiVersion: v1\nkind: Bucket\nmetadata: { name: k8s-only, site: lab }\n")
        directory.write("compose.yml", "services: { web: { image: \"{{ broken\" ")
        let index = DeclarationIndex(files: [directory.file("b.yaml"), directory.file("k8s.yaml"), directory.file("compose.yml")], yaml: YAMLLoader())
        #expect(index.file(declaring: ResourceID(kind: "Bucket", name: "b", site: "lab")) == directory.file("b.yaml"))
        #expect(index.file(declaring: ResourceID(kind: "Bucket", name: "b", site: "other")) == nil, "another site")
        #expect(index.file(declaring: ResourceID(kind: "Database", name: "placed", site: "any")) == directory.file("b.yaml"), "placed by labels: may be on any site")
        #expect(index.file(declaring: ResourceID(kind: "Bucket", name: "k8s-only", site: "lab")) == nil, "not a Ballast document")
        #expect(index.unreadable.isEmpty, "a broken file that never mentions ballast.dev/ declares nothing")
        directory.write("broken.yaml", "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: c\n")
        let broken = DeclarationIndex(files: [directory.file("broken.yaml"), directory.file("missing.yaml")], yaml: YAMLLoader())
        #expect(broken.unreadable == [directory.file("broken.yaml"), directory.file("missing.yaml")].sorted())
    }
}
