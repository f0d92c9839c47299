import BallastCore
import BallastTesting
import Testing

@Suite("Provider schemas as JSON")
struct ProviderSchemaJSONTests {
    @Test func everyBuiltInSchemaReadsBackEqual() throws {
        for schema in TestManifests.catalog.providers.values {
            // Carried: everything a plugin can declare (not the documentation, nor loadsFileInto,
            // which only built-in providers use).
            var expected = ProviderSchema(provider: schema.provider, kinds: schema.kinds, siteConfig: schema.siteConfig)
            func strip(_ fields: [FieldSchema]) -> [FieldSchema] {
                fields.map { field in
                    var field = field
                    field.loadsFileInto = nil
                    if case .object(let children) = field.type { field.type = .object(strip(children)) }
                    return field
                }
            }
            expected.kinds = expected.kinds.map { KindSchema(kind: $0.kind, summary: $0.summary, fields: strip($0.fields), outputs: strip($0.outputs), relocatable: $0.relocatable) }
            expected.siteConfig = strip(expected.siteConfig)
            let text = JSONText.string(ProviderSchemaJSON.encode(schema))
            let decoded = try ProviderSchemaJSON.decode(try JSONValueParser.parse(text), provider: schema.provider, origin: "test")
            #expect(decoded.kinds.map(\.kind) == expected.kinds.map(\.kind))
            for (got, want) in zip(decoded.kinds, expected.kinds) {
                #expect(got.summary == want.summary && got.relocatable == want.relocatable)
                for (field, wanted) in zip(got.fields + got.outputs, want.fields + want.outputs) {
                    #expect(field == wanted, "\(schema.provider) \(got.kind).\(field.name)")
                }
            }
            for (field, wanted) in zip(decoded.siteConfig, expected.siteConfig) {
                #expect(field == wanted, "\(schema.provider) siteConfig.\(field.name)")
            }
            // Field by field above, for a readable failure; all of it here.
            #expect(decoded == expected, "\(schema.provider)")
        }
    }

    @Test func aMalformedSchemaNamesWhereItCameFrom() {
        #expect(throws: ProviderSchemaJSON.Invalid.self) {
            try ProviderSchemaJSON.decode(.map(Fields(["kinds": .list([.map(Fields(["kind": .string("Box"), "fields": .list([.map(Fields(["name": .string("size"), "type": .string("huge")]))])]))])])), provider: "plugin:x", origin: "the agent of edge-1")
        }
        do {
            _ = try ProviderSchemaJSON.decode(.list([]), provider: "plugin:x", origin: "the agent of edge-1")
        } catch {
            #expect(error.description == "the agent of edge-1: schema must be an object with a 'kinds' list")
        }
    }
}
