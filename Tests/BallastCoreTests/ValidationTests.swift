import BallastProviders
import BallastTesting
import Foundation
import Testing
@testable import BallastCore

let simCatalog = TestManifests.catalog
let repositoryRoot = Repository.root(from: #filePath)

func loadManifests(_ text: String) -> LoadedManifests { TestManifests.load(text) }

func messages(_ loaded: LoadedManifests) -> [String] {
    loaded.diagnostics.sorted(files: loaded.files).map { "\($0.position) \($0.severity.rawValue): \($0.message)" }
}

let sitesYAML = """
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: cloud-a, labels: { tier: cloud } }
spec: { class: cloud, provider: sim }
---
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: edge-a, labels: { tier: edge } }
spec: { class: edge, provider: sim }
---
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: edge-b, labels: { tier: edge } }
spec: { class: edge, provider: sim }

"""

@Suite("Validation")
struct ValidationTests {
    @Test func invalidExamplesMatchTheGoldenDiagnostics() throws {
        let directory = repositoryRoot + "/manifests/examples/invalid"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        let inputs = names.map { name in
            ManifestInput(path: "manifests/examples/invalid/\(name)", bytes: [UInt8](FileManager.default.contents(atPath: directory + "/" + name)!))
        }
        let loaded = ManifestLoader(catalog: simCatalog).load(inputs)
        #expect(loaded.desired == nil)
        let rendered = DiagnosticRenderer(files: loaded.files).render(loaded.diagnostics)
        let mismatch = Golden.mismatch(rendered, file: repositoryRoot + "/Tests/BallastCoreTests/Golden/invalid-diagnostics.txt")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func hybridExampleIsValid() throws {
        let loaded = ManifestLoader(catalog: simCatalog).load(paths: [repositoryRoot + "/manifests/examples/hybrid"])
        #expect(loaded.diagnostics.items.isEmpty, "\(messages(loaded))")
        let desired = try #require(loaded.desired)
        #expect(desired.sites.count == 6)
        #expect(desired.resources.contains { $0.id.description == "Database/orders@eu-central" })
        // The selector placed the cache on every edge site.
        #expect(desired.resources.filter { $0.id.kind == "Workload" }.map(\.id.site) == ["edge-berlin", "edge-madrid", "edge-paris"])
    }

    @Test func placementExpandsOneManifestPerSite() throws {
        let loaded = loadManifests(sitesYAML + """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: cache }
        spec:
          placement: { selector: { matchLabels: { tier: edge } } }
          image: cache:1
        ---
        apiVersion: ballast.dev/v1
        kind: EdgeFunction
        metadata: { name: fn }
        spec:
          placement: { sites: [edge-b] }
          runtime: wasm
          code: x
          env: { CACHE: "${Workload/cache.outputs.endpoint}" }
        """)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        #expect(desired.resources.map(\.id.description) == ["Workload/cache@edge-a", "Workload/cache@edge-b", "EdgeFunction/fn@edge-b"])
        // The reference picked the placement on the same site.
        #expect(desired.resources[2].dependencies.map(\.description) == ["Workload/cache@edge-b"])
    }

    @Test func ambiguousReferenceAsksForTheSite() {
        let loaded = loadManifests(sitesYAML + """
        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: cache }
        spec:
          placement: { sites: [edge-a, edge-b] }
          image: cache:1
        ---
        apiVersion: ballast.dev/v1
        kind: DNSRecord
        metadata: { name: www, site: cloud-a }
        spec: { zone: example.com, record: www, type: CNAME, value: "${Workload/cache.outputs.endpoint}" }
        """)
        #expect(messages(loaded) == [
            "26:61 error: reference to 'Workload/cache' is ambiguous from site 'cloud-a': it is placed on 2 sites; write one of ${Workload/cache@edge-a.outputs.endpoint}, ${Workload/cache@edge-b.outputs.endpoint}",
        ])
    }

    struct NameCase: Sendable {
        var name: String
        var valid: Bool
    }

    @Test(arguments: [
        NameCase(name: "web", valid: true), NameCase(name: "web-1", valid: true), NameCase(name: "1web", valid: true),
        NameCase(name: "Web", valid: false), NameCase(name: "-web", valid: false), NameCase(name: "web-", valid: false),
        NameCase(name: "we_b", valid: false), NameCase(name: "we b", valid: false), NameCase(name: "$(rm -rf /)", valid: false),
        NameCase(name: String(repeating: "a", count: 63), valid: true), NameCase(name: String(repeating: "a", count: 64), valid: false),
        NameCase(name: "ünï", valid: false), NameCase(name: "", valid: false),
    ])
    func namesAreDNSLabels(_ testCase: NameCase) {
        #expect(NameRules.isValidName(testCase.name) == testCase.valid)
    }

    @Test func everyProblemIsReportedInOneRun() {
        let loaded = loadManifests(sitesYAML + """
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: a, site: cloud-a }
        spec: { versioning: maybe }
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: b, site: nowhere }
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: a, site: cloud-a }
        """)
        #expect(messages(loaded) == [
            "19:21 error: 'versioning' must be a bool, found a string",
            "23:28 error: unknown site 'nowhere'",
            "27:19 error: duplicate resource 'Bucket/a'",
        ])
        #expect(loaded.diagnostics.errorCount == 3)
    }

    @Test func secretsAndSensitiveFieldsAreMarked() throws {
        let loaded = loadManifests(sitesYAML + """
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: db, site: cloud-a }
        spec:
          engine: postgres
          sizeGb: 10
          password: hunter2
          version: "${env:PG_VERSION}"
        """)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        #expect(desired.resources[0].sensitivePaths == ["password", "version"])
    }

    @Test func stringFieldRejectsUnquotedNumberWithAHint() {
        let loaded = loadManifests(sitesYAML + """
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: db, site: cloud-a }
        spec: { engine: postgres, sizeGb: 10, version: 16 }
        """)
        #expect(messages(loaded) == ["19:48 error: 'version' must be a string, found an int (quote it to make it a string)"])
    }
}

@Suite("Dependency graph")
struct GraphTests {
    func id(_ name: String) -> ResourceID { ResourceID(kind: "Network", name: name, site: "s") }

    @Test func layersAndOrderAreDeterministic() throws {
        var builder = GraphBuilder()
        for name in ["d", "c", "b", "a"] { builder.add(id(name)) }
        builder.addEdge(from: id("c"), to: id("a"), at: nil)
        builder.addEdge(from: id("d"), to: id("c"), at: nil)
        builder.addEdge(from: id("b"), to: id("a"), at: nil)
        var diagnostics: [Diagnostic] = []
        let graph = try #require(builder.build(diagnostics: &diagnostics))
        #expect(graph.order.map(\.name) == ["a", "b", "c", "d"])
        #expect(graph.order.map { graph.layers[$0]! } == [0, 1, 1, 2])
        #expect(graph.transitiveDependents(of: id("a")) == [id("b"), id("c"), id("d")])
    }

    @Test func aCycleIsReportedOnceWithItsPath() {
        var builder = GraphBuilder()
        let location = SourceLocation(file: 0, line: 1, column: 1)
        for name in ["a", "b", "c", "x"] { builder.add(id(name)) }
        builder.addEdge(from: id("a"), to: id("b"), at: location)
        builder.addEdge(from: id("b"), to: id("c"), at: location)
        builder.addEdge(from: id("c"), to: id("a"), at: location)
        builder.addEdge(from: id("x"), to: id("a"), at: location)
        var diagnostics: [Diagnostic] = []
        #expect(builder.build(diagnostics: &diagnostics) == nil)
        #expect(diagnostics.map(\.message) == ["dependency cycle: Network/a → Network/b → Network/c → Network/a"])
        #expect(diagnostics.first?.notes.count == 3)
    }

    @Test func longChainsDoNotRecurse() throws {
        var builder = GraphBuilder()
        let count = 50_000
        for index in 0..<count {
            builder.add(id("n\(index)"))
            if index > 0 { builder.addEdge(from: id("n\(index)"), to: id("n\(index - 1)"), at: nil) }
        }
        var diagnostics: [Diagnostic] = []
        let graph = try #require(builder.build(diagnostics: &diagnostics))
        #expect(graph.layers[id("n\(count - 1)")] == count - 1)
    }
}

@Suite("labels are text")
struct LabelTextTests {
    /// `007` and `0x10` stay as written in labels, annotations and selectors, so that a selector
    /// quoting the text matches; elsewhere they are still YAML 1.2 ints.
    @Test func labelValuesAreKeptAsWritten() throws {
        let loaded = loadManifests("""
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: a, labels: { rack: 007, unit: 0x10, floor: 1e3 }, annotations: { build: 0012 } }
            spec: { class: cloud, provider: sim }
            ---
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: quoted }
            spec:
              lifecycleDays: 0x10
              placement: { selector: { matchLabels: { rack: "007", unit: 0x10 } } }
            """)
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.items.map(\.message))")
        let desired = try #require(loaded.desired)
        #expect(desired.sites["a"]?.labels["rack"] == "007")
        #expect(desired.sites["a"]?.labels["unit"] == "0x10")
        #expect(desired.sites["a"]?.labels["floor"] == "1e3")
        let bucket = try #require(desired.resources.first { $0.id.name == "quoted" })
        #expect(bucket.id.site == "a")
        #expect(bucket.spec["lifecycleDays"] == .int(16))
    }
}

@Suite("one mistake, one error, at its field")
struct ErrorPrecisionTests {
    private func errors(_ yaml: String) -> [String] {
        let loaded = loadManifests(yaml)
        return loaded.diagnostics.sorted(files: loaded.files).filter { $0.severity == .error }.map { "\($0.position): \($0.message)" }
    }

    private let site = """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: a }
        spec: { class: cloud, provider: sim }
        ---

        """

    /// Schemas carry ranges; every provider's config uses them, and numbers must be finite.
    @Test func siteConfigValuesOutOfRangeAreErrors() {
        #expect(errors("""
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: a }
            spec: { class: cloud, provider: sim, config: { failureRate: 7, latencyMs: -5 } }
            ---
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: b }
            spec: { class: cloud, provider: sim, config: { failureRate: 1e400 } }
            """) == [
            "4:61: 'failureRate' is 7; it must be from 0 to 1",
            "4:75: 'latencyMs' is -5; it must be from 0 to 600000",
            "9:61: 'failureRate' must be a finite number, found inf",
        ])
    }

    @Test func anOverflowingIntegerIsOneError() {
        #expect(errors(site + """
            apiVersion: ballast.dev/v1
            kind: Database
            metadata: { name: d, site: a }
            spec: { engine: postgres, sizeGb: 99999999999999999999 }
            """) == ["9:35: integer '99999999999999999999' does not fit in 64 bits"])
    }

    /// The YAML 1.1 booleans hint, and the quoting hints, come from one place for every field.
    @Test func typeHintsApplyToEveryField() {
        #expect(errors(site + """
            apiVersion: ballast.dev/v1
            kind: Database
            metadata: { name: d, site: a }
            spec: { engine: postgres, sizeGb: "10", highAvailability: yes }
            policy: { preventDestroy: no }
            """) == [
            "9:35: 'sizeGb' must be an int, found a string (remove the quotes to make it a number)",
            "9:59: 'highAvailability' must be a bool, found a string ('yes' is a string in YAML 1.2; write true or false)",
            "10:27: 'preventDestroy' must be a bool, found a string ('no' is a string in YAML 1.2; write true or false)",
        ])
    }

    @Test func settingAnOutputIsItsOwnError() {
        #expect(errors(site + """
            apiVersion: ballast.dev/v1
            kind: Database
            metadata: { name: d, site: a }
            spec: { engine: postgres, sizeGb: 10, endpoint: db.example.com }
            """) == ["9:39: 'endpoint' is an output, computed by the provider; it cannot be set in the Database spec"])
    }

    @Test func doubledDollarWritesALiteralReferenceSign() throws {
        let loaded = loadManifests(site + """
            apiVersion: ballast.dev/v1
            kind: Workload
            metadata: { name: w, site: a }
            spec: { image: "x", env: { A: "$${not a reference}", B: "cost: $$5 and $${HOME}" } }
            """)
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.items.map(\.message))")
        let resource = try #require(loaded.desired?.resources.first)
        guard case .map(let env)? = resource.spec["env"] else {
            Issue.record("no env")
            return
        }
        #expect(env["A"] == .string("${not a reference}"))
        #expect(env["B"] == .string("cost: $$5 and ${HOME}"), "only $${ is an escape")
        #expect(resource.templatePaths.isEmpty)
    }
}
