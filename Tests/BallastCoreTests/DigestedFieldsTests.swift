import BallastCore
import Testing

/// A field reported by digest is filled in only with a value whose digest is the one observed.
@Suite("Fields reported by digest")
struct DigestedFieldsTests {
    let schema = KindSchema(
        kind: "File", summary: "",
        fields: [FieldSchema("path", .string), FieldSchema("content", .string, digestOutput: "sha256")],
        outputs: [FieldSchema("sha256", .string, computed: true)])
    let id = ResourceID(kind: "File", name: "f", site: "box")

    func observed(digestOf text: String, content: String? = nil) -> Observed {
        var spec = Fields(["path": .string("f.txt")])
        if let content { spec["content"] = .string(content) }
        return Observed(id: id, spec: spec, outputs: Fields(["sha256": .string(SpecDigest.digest(text))]), revision: "r")
    }

    @Test func theDesiredValueWhenItsDigestMatchesElseTheOneLastAppliedElseNothing() {
        let desired = Fields(["path": .string("f.txt"), "content": .string("new")])
        let applied = Fields(["path": .string("f.txt"), "content": .string("old")])
        let upToDate = DigestedFields.completed(observed(digestOf: "new"), schema: schema, desired: desired, lastApplied: applied)
        #expect(upToDate.spec["content"] == .string("new"))
        let changed = DigestedFields.completed(observed(digestOf: "old"), schema: schema, desired: desired, lastApplied: applied)
        #expect(changed.spec["content"] == .string("old"), "what is there is what was applied last")
        let unknown = DigestedFields.completed(observed(digestOf: "something else"), schema: schema, desired: desired, lastApplied: applied)
        #expect(unknown.spec["content"] == nil, "never a value whose digest differs: the diff then rewrites the file")
        let read = DigestedFields.completed(observed(digestOf: "read", content: "read"), schema: schema, desired: desired, lastApplied: applied)
        #expect(read.spec["content"] == .string("read"), "a value the provider read is kept as it is")
    }
}
