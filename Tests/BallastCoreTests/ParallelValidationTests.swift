import Foundation
import Testing
@testable import BallastCore
import BallastTesting

/// Validation and planning of large estates run on several cores; their results must not
/// depend on how many. Each test compares one core with four on an estate large enough for
/// the work to be cut into slices.
@Suite("Parallel validation and planning")
struct ParallelValidationTests {
    static let catalog = TestManifests.catalog

    static func documents(_ text: String) -> (chunks: [[ManifestDocument]], diagnostics: [Diagnostic]) {
        let decoder = ManifestDecoder(catalog: catalog)
        let (chunks, diagnostics) = YAMLLoader().loadChunks(bytes: Array(text.utf8), file: 0) { root, diagnostics in
            decoder.decode(root, diagnostics: &diagnostics)
        }
        return (chunks, diagnostics)
    }

    static func validate(_ text: String, parallelism: Int) -> (desired: DesiredState?, diagnostics: String) {
        let (chunks, decoded) = documents(text)
        var diagnostics = decoded
        let desired = ManifestValidator(catalog: catalog, parallelism: parallelism).validate(chunks: chunks, sourceDirectories: ["manifests"], diagnostics: &diagnostics)
        return (desired, DiagnosticRenderer(files: SourceFiles()).render(Diagnostics(diagnostics)))
    }

    @Test func aValidEstateGivesTheSameResources() throws {
        let text = ManifestCorpus.generate(resources: 9_000)
        let one = Self.validate(text, parallelism: 1)
        let four = Self.validate(text, parallelism: 4)
        let resources = try #require(one.desired?.resources)
        #expect(resources.count == 9_000)
        #expect(resources.contains { !$0.dependencies.isEmpty }, "the estate should have references across layers")
        #expect(four.desired?.resources == resources)
        #expect(four.desired?.sites == one.desired?.sites)
        #expect(resources.allSatisfy { $0.sourceDirectory == "manifests" })
    }

    @Test func anInvalidEstateGivesTheSameDiagnostics() {
        // Mistakes spread over the estate, so that they fall into different slices.
        var documents = ManifestCorpus.generate(resources: 9_000).components(separatedBy: "\n---\n")
        let mistakes = [
            documents[10],  // a resource declared twice
            "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: lost, site: site-99 }\nspec: { versioning: true }",
            "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: waits, site: site-1, dependsOn: [Network/nowhere] }\nspec: { versioning: true }",
            "apiVersion: ballast.dev/v1\nkind: DNSRecord\nmetadata: { name: points, site: site-2 }\nspec: { zone: example.com, record: x, type: A, value: \"${Network/res-0.outputs.nothing}\" }",
        ]
        for (offset, mistake) in mistakes.enumerated() { documents.insert(mistake, at: 1_000 + offset * 2_500) }
        let text = documents.joined(separator: "\n---\n")
        let one = Self.validate(text, parallelism: 1)
        let four = Self.validate(text, parallelism: 4)
        #expect(one.desired == nil)
        for expected in ["duplicate resource", "unknown site 'site-99'", "Network/nowhere", "has no output 'nothing'"] {
            #expect(one.diagnostics.contains(expected), "\(one.diagnostics)")
        }
        #expect(four.diagnostics == one.diagnostics)
    }

    @Test func planningGivesTheSamePlanOnAnyNumberOfCoresAndFromSpecsKeptAsText() throws {
        let desired = try #require(Self.validate(ManifestCorpus.generate(resources: 9_000), parallelism: 1).desired)
        // Most resources exist, some drifted, some are missing (so their dependents' outputs
        // are unknown), and one site cannot be observed.
        var observation = Observation(unavailableSites: ["site-5": "outage"])
        for (index, resource) in desired.resources.enumerated() where index % 7 != 0 {
            var spec = resource.spec
            if index % 11 == 0, let key = spec.keys.first { spec[key] = .string("drifted") }
            observation.resources[resource.id] = Observed(id: resource.id, spec: spec, outputs: Fields([("networkId", Value.string("net-\(index)"))]), revision: "\(index)")
        }
        let inventory = Inventory(uniqueKeysWithValues: [InventoryEntry(id: ResourceID(kind: "Bucket", name: "gone", site: "site-1"), spec: Fields(), specDigest: "", createdAt: Date(), updatedAt: Date())].map { ($0.id, $0) })
        let input = Planner.Input(desired: desired, observation: observation, inventory: inventory, secrets: [:], inputs: [], inputDigest: "")
        let one = Planner(catalog: Self.catalog, parallelism: 1).plan(input)
        let four = Planner(catalog: Self.catalog, parallelism: 4).plan(input)
        #expect(four.plan == one.plan)
        #expect(four.diagnostics.map(\.message) == one.diagnostics.map(\.message))
        // The sim reports specs as the JSON text of its world, parsed when the plan reads them.
        var asText = observation
        for (id, observed) in observation.resources {
            let text = try #require(EncodedFields(json: JSONText.string(.map(observed.spec))))
            asText.resources[id] = Observed(id: id, spec: text, outputs: observed.outputs, revision: observed.revision)
        }
        var textInput = input
        textInput.observation = asText
        let fromText = Planner(catalog: Self.catalog, parallelism: 4).plan(textInput)
        #expect(fromText.plan == one.plan)
        #expect(fromText.diagnostics.map(\.message) == one.diagnostics.map(\.message))
        let actions = Set(one.plan.actions.map(\.action))
        #expect(actions.isSuperset(of: [.create, .update, .noop, .delete]), "\(actions)")
        #expect(!one.plan.unknown.isEmpty)
    }

    /// Loads `inputs` with every step on `parallelism` cores; a low threshold cuts even these
    /// small files into chunks, as large ones are.
    static func load(_ inputs: [ManifestInput], parallelism: Int) -> LoadedManifests {
        ManifestLoader(catalog: catalog, yaml: YAMLLoader(parallelism: parallelism, parallelThreshold: 1 << 14)).load(inputs)
    }

    @Test func aTreeOfFilesLoadsAsOneFileOnAnyNumberOfCores() throws {
        let tree = ManifestCorpus.generateTree(resources: 3_000, files: 60)
        let many = tree.map { ManifestInput(path: "repo/" + $0.path, bytes: Array($0.text.utf8)) }
        let one = [ManifestInput(path: "repo/all.yaml", bytes: Array(tree.map(\.text).joined(separator: "\n").utf8))]
        let manyOnOne = Self.load(many, parallelism: 1), manyOnFour = Self.load(many, parallelism: 4)
        let oneOnOne = Self.load(one, parallelism: 1), oneOnFour = Self.load(one, parallelism: 4)
        let resources = try #require(manyOnOne.desired?.resources, "\(manyOnOne.diagnostics.items.prefix(3).map(\.message))")
        #expect(resources.count == 3_000)
        #expect(manyOnFour.desired?.resources == resources)
        #expect(manyOnFour.inputDigest == manyOnOne.inputDigest)
        #expect(oneOnFour.desired?.resources == oneOnOne.desired?.resources)
        // Across layouts, the same estate but for where each document was written; and the
        // same plan.
        func placeless(_ resources: [DesiredResource]?) -> [DesiredResource] {
            (resources ?? []).map { resource in
                var resource = resource
                resource.location = nil
                resource.fieldLocations = [:]
                resource.sourceDirectory = nil
                resource.manifest = nil
                return resource
            }
        }
        #expect(placeless(oneOnOne.desired?.resources) == placeless(resources))
        let plans = try [manyOnOne, oneOnFour].map { loaded in
            try Planner(catalog: Self.catalog, parallelism: 2).plan(.init(
                desired: #require(loaded.desired), observation: Observation(), inventory: [:], secrets: [:], inputs: [], inputDigest: "")).plan
        }
        #expect(plans[0] == plans[1])
        #expect(plans[0].count(.create) == 3_000)
    }

    @Test func mistakesSpreadOverATreeGiveTheSameDiagnosticsOnAnyNumberOfCores() {
        var tree = ManifestCorpus.generateTree(resources: 3_000, files: 60)
        tree[7].text += "---\napiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: lost, site: site-99 }\nspec: { versioning: true }\n"
        tree[31].text += "---\napiVersion: ballast.dev/v1\nkind: Bukcet\nmetadata: { name: typo, site: site-1 }\nspec: {}\n"
        tree[52].text += "---\n" + tree[12].text.components(separatedBy: "---\n")[1]
        let many = tree.map { ManifestInput(path: "repo/" + $0.path, bytes: Array($0.text.utf8)) }
        let rendered = [1, 4].map { parallelism in
            let loaded = Self.load(many, parallelism: parallelism)
            return DiagnosticRenderer(files: loaded.files).render(loaded.diagnostics)
        }
        for expected in ["unknown site 'site-99'", "unknown kind 'Bukcet'", "duplicate resource"] {
            #expect(rendered[0].contains(expected), "\(rendered[0])")
        }
        #expect(rendered[1] == rendered[0])
    }
}
