import BallastCore
import BallastEngine
import BallastProviders
import BallastTesting
import Testing

/// Random valid manifests for the sim provider, reproducible from a seed.
struct ManifestGenerator {
    var random: SeededGenerator
    let catalog = TestManifests.catalog
    /// The policies one resource in five gets, picked at random.
    var policies = ["{ preventDestroy: true }"]

    mutating func value(for field: FieldSchema, _ type: FieldSchema.FieldType) -> String {
        if let allowed = field.allowed { return allowed.randomElement(using: &random)! }
        switch type {
        case .string: return "\"v-\(Int.random(in: 0..<1000, using: &random))\""
        // Within the field's range: values outside it are validation errors, not plans.
        case .int: return String(Int.random(in: Int(field.minimum ?? -5)...Int(min(field.maximum ?? 100_000, 100_000)), using: &random))
        case .number: return String(Double(Int.random(in: Int((field.minimum ?? 0) * 8)...Int(min(field.maximum ?? 1000, 1000) * 8), using: &random)) / 8)
        case .bool: return Bool.random(using: &random) ? "true" : "false"
        case .list(let element): return "[" + (0..<Int.random(in: 0...3, using: &random)).map { _ in value(for: field, element) }.joined(separator: ", ") + "]"
        case .map(let element): return "{" + (0..<Int.random(in: 0...3, using: &random)).map { "k\($0): " + value(for: field, element) }.joined(separator: ", ") + "}"
        case .object(let fields):
            return "{" + fields.filter { $0.required || Bool.random(using: &random) }.map { "\($0.name): " + value(for: $0, $0.type) }.joined(separator: ", ") + "}"
        }
    }

    /// Sites, then resources placed on them; some string fields reference earlier resources' outputs.
    mutating func manifests(resources count: Int) -> String {
        let siteCount = Int.random(in: 1...3, using: &random)
        var yaml = TestManifests.sites(siteCount)
        let kinds = catalog.providers["sim"]!.kinds
        var earlier: [(kind: String, name: String, site: Int, outputs: [String])] = []
        for index in 0..<count {
            let kind = kinds.randomElement(using: &random)!
            let site = Int.random(in: 0..<siteCount, using: &random)
            var lines = ["apiVersion: ballast.dev/v1", "kind: \(kind.kind)", "metadata: { name: r\(index), site: site-\(site) }", "spec:"]
            for field in kind.fields where field.required || Bool.random(using: &random) {
                var text = value(for: field, field.type)
                let sameSite = earlier.filter { $0.site == site }
                if case .string = field.type, field.allowed == nil, let target = sameSite.randomElement(using: &random), Int.random(in: 0..<3, using: &random) == 0 {
                    text = "\"${\(target.kind)/\(target.name).outputs.\(target.outputs.randomElement(using: &random)!)}\""
                }
                lines.append("  \(field.name): \(text)")
            }
            if Int.random(in: 0..<5, using: &random) == 0 { lines.append("policy: \(policies.randomElement(using: &random)!)") }
            yaml += lines.joined(separator: "\n") + "\n---\n"
            earlier.append((kind.kind, "r\(index)", site, kind.outputs.map(\.name)))
        }
        return yaml
    }
}

@Suite("Plan properties")
struct PlanPropertyTests {
    @Test(arguments: 1...20)
    func planAgainstAMatchingWorldIsEmpty(seed: Int) async throws {
        var generator = ManifestGenerator(random: SeededGenerator(seed: UInt64(seed)))
        let yaml = generator.manifests(resources: Int.random(in: 1...40, using: &generator.random))
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let loaded = harness.service.loader.load([ManifestInput(path: "generated.yaml", bytes: Array(yaml.utf8))])
        let desired = try #require(loaded.desired, "seed \(seed): \(loaded.diagnostics.items.map(\.message))\n\(yaml)")
        try await WorldSeeder.seed(desired, provider: harness.provider)
        let outcome = try await harness.service.plan(loaded, inputs: ["generated.yaml"])
        let plan = try #require(outcome.plan)
        #expect(!plan.hasChanges, "seed \(seed): \(plan.actions.filter { $0.action != .noop }.map { "\($0.id) \($0.action) \($0.changes.map(\.path))" })")
        #expect(plan.actions.count == desired.resources.count)
    }
}
