import BallastTesting
import Testing
@testable import BallastCore

/// The structures that keep 100k manifests small: interned strings and index tables.
@Suite("Interned strings and index tables")
struct SharedStorageTests {
    private func intern(_ text: String, into interner: inout StringInterner) -> String {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { interner.string(UnsafeBufferPointer($0)) }
    }

    private func storage(_ text: String) -> UnsafeRawPointer? {
        var copy = text
        return copy.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func repeatedLongStringsShareOneCopy() {
        var interner = StringInterner()
        let first = intern("search@example.com", into: &interner)
        let again = intern("search@example.com", into: &interner)
        let other = intern("search@example.org", into: &interner)
        #expect(first == "search@example.com" && again == first && other == "search@example.org")
        #expect(storage(first) == storage(again))
        #expect(storage(first) != storage(other))
    }

    @Test func everyStringComesBackIntactWhileTheTableGrows() {
        var interner = StringInterner()
        let texts = (0..<5_000).map { "registry.example.com/service-\($0 % 1_700):1.\($0 % 1_700 % 7).0" }
        let first = texts.map { intern($0, into: &interner) }
        let second = texts.map { intern($0, into: &interner) }
        #expect(first == texts)
        #expect(second == texts)
        #expect(zip(first, second).allSatisfy { storage($0) == storage($1) })
        // Equal texts met first at different times are one copy as well.
        #expect(storage(first[0]) == storage(first[1_700]))
    }

    @Test func shortAndOverlongStringsAreDecodedAsGiven() {
        var interner = StringInterner()
        let long = String(repeating: "x", count: StringInterner.maximumLength + 1)
        #expect(intern("", into: &interner) == "")
        #expect(intern("fifteen-bytes!!", into: &interner) == "fifteen-bytes!!")
        #expect(intern("ünïcödé-välüé-ïs-lönger", into: &interner) == "ünïcödé-välüé-ïs-lönger")
        #expect(intern(long, into: &interner) == long)
        let once = intern(long, into: &interner)
        let twice = intern(long, into: &interner)
        #expect(storage(once) != storage(twice))
    }

    @Test func aFullInternerStillDecodesNewStrings() {
        var interner = StringInterner()
        let count = StringInterner.maximumEntries + 10
        let texts = (0..<count).map { "unique-value-number-\($0)" }
        #expect(texts.map { intern($0, into: &interner) } == texts)
        #expect(intern(texts[count - 1], into: &interner) == texts[count - 1])
    }

    @Test func indexTableFindsPositionsByKeyAndMissesOthers() {
        let keys = (0..<3_000).map { "Network/net-\($0 % 2_000)" }
        var table = IndexTable(capacity: keys.count)
        var firsts: [Int] = []
        for (position, key) in keys.enumerated() {
            if let first = table.first(hash: key.hashValue, where: { keys[$0] == key }) {
                firsts.append(first)
            } else {
                table.add(position, hash: key.hashValue)
            }
        }
        // Positions 2000..<3000 repeat the keys of 0..<1000 and find those.
        #expect(firsts == Array(0..<1_000))
        #expect(table.first(hash: "Network/net-1999".hashValue) { keys[$0] == "Network/net-1999" } == 1_999)
        #expect(table.first(hash: "Network/other".hashValue) { keys[$0] == "Network/other" } == nil)
        // Every key hashed to one slot still finds its own position.
        var crowded = IndexTable(capacity: 50)
        for position in 0..<50 { crowded.add(position, hash: 7) }
        #expect((0..<50).allSatisfy { position in crowded.first(hash: 7) { $0 == position } == position })
    }

    /// Decodes with one session per chunk (as the loader does) or a fresh one per document.
    private static func validate(_ text: String, sharing: Bool) -> [DesiredResource]? {
        let decoder = ManifestDecoder(catalog: TestManifests.catalog)
        let loader = YAMLLoader(parallelThreshold: 1 << 12)
        let (chunks, decoded) = sharing
            ? loader.loadChunks(bytes: Array(text.utf8), file: 0) {
                var session = ManifestDecoder.Session()
                return { root, diagnostics in decoder.decode(root, session: &session, diagnostics: &diagnostics) }
            }
            : loader.loadChunks(bytes: Array(text.utf8), file: 0) { root, diagnostics in decoder.decode(root, diagnostics: &diagnostics) }
        var diagnostics = decoded
        let desired = ManifestValidator(catalog: TestManifests.catalog).validate(chunks: chunks, diagnostics: &diagnostics)
        #expect(!diagnostics.contains { $0.severity == .error })
        return desired?.resources
    }

    @Test func sharingLabelsAndNestedValuesChangesNoResource() throws {
        let text = ManifestCorpus.generate(resources: 3_000)
        let shared = try #require(Self.validate(text, sharing: true))
        #expect(shared.count == 3_000)
        #expect(shared == Self.validate(text, sharing: false))
    }

    @Test func onlyEqualValuesAreShared() throws {
        let text = """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: dc, labels: { class: datacenter } }
        spec: { class: datacenter, provider: sim }
        ---
        apiVersion: ballast.dev/v1
        kind: Network
        metadata: { name: a, site: dc, labels: { tier: "1" } }
        spec: { cidr: 10.0.0.0/16, tags: { weight: "1" } }
        ---
        apiVersion: ballast.dev/v1
        kind: Network
        metadata: { name: b, site: dc, labels: { tier: "1", app: web } }
        spec: { cidr: 10.1.0.0/16, tags: { weight: "1.0" } }
        ---
        apiVersion: ballast.dev/v1
        kind: Network
        metadata: { name: c, site: dc, labels: { tier: "1" } }
        spec: { cidr: 10.2.0.0/16, tags: { weight: "1" } }
        """
        let resources = try #require(Self.validate(text, sharing: true))
        let byName = Dictionary(uniqueKeysWithValues: resources.map { ($0.id.name, $0) })
        #expect(byName["a"]?.labels == ["tier": "1"] && byName["c"]?.labels == ["tier": "1"])
        #expect(byName["b"]?.labels == ["tier": "1", "app": "web"])
        #expect(byName["a"]?.spec["tags"] == .map(Fields([("weight", .string("1"))])))
        #expect(byName["b"]?.spec["tags"] == .map(Fields([("weight", .string("1.0"))])))
        #expect(byName["c"]?.spec["tags"] == byName["a"]?.spec["tags"])
    }

    /// A kind two providers serve is validated when its site is known, and its YAML released
    /// then: every placement must still be validated against its own site's provider.
    @Test func specsOfAKindSeveralProvidersServeAreValidatedPerSite() throws {
        let vault = ProviderSchema(provider: "vault", kinds: [
            KindSchema(kind: "Bucket", fields: [FieldSchema("capacityTb", .int, required: true)]),
        ])
        let catalog = SchemaCatalog(Array(TestManifests.catalog.providers.values) + [vault])
        func site(_ name: String, _ provider: String) -> String {
            "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: { name: \(name), labels: { provider: \(provider) } }\nspec: { class: datacenter, provider: \(provider) }\n---\n"
        }
        func bucket(_ name: String, placement: String, spec: String) -> String {
            "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: \(name)\(placement.hasPrefix("site:") ? ", " + placement : "") }\nspec: { \(spec)\(placement.hasPrefix("site:") ? "" : ", placement: " + placement) }\n---\n"
        }
        let valid = site("dc", "sim") + site("dc2", "sim") + site("v", "vault")
            + bucket("simple", placement: "site: dc", spec: "versioning: true")
            + bucket("safe", placement: "site: v", spec: "capacityTb: 4")
            + bucket("both", placement: "{ sites: [dc, dc2] }", spec: "storageClass: archive")
        let loaded = TestManifests.load(valid, catalog: catalog)
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.items)")
        let specs = Dictionary(uniqueKeysWithValues: try #require(loaded.desired).resources.map { ($0.id.description, $0.spec) })
        #expect(specs["Bucket/simple@dc"]?["versioning"] == .bool(true))
        #expect(specs["Bucket/safe@v"]?["capacityTb"] == .int(4))
        #expect(specs["Bucket/both@dc"]?["storageClass"] == .string("archive") && specs["Bucket/both@dc2"] == specs["Bucket/both@dc"])

        // One manifest on a sim site and a vault site is checked against both schemas.
        let mixed = site("dc", "sim") + site("v", "vault") + bucket("split", placement: "{ sites: [dc, v] }", spec: "versioning: true")
        let messages = TestManifests.load(mixed, catalog: catalog).diagnostics.items.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains { $0.contains("capacityTb") }, "\(messages)")
        #expect(messages.contains { $0.contains("versioning") }, "\(messages)")
    }
}
