import BallastCore
import BallastProviders
import BallastSim
import Foundation

/// Manifest fixtures for tests.
public enum TestManifests {
    /// To append to the hybrid example: a workload on one of its three edge sites (Paris, the
    /// greenest), failing over after `after` (the default, 60 s, when nil).
    public static func failoverWorkload(after: String? = nil) -> String {
        """

        ---
        apiVersion: ballast.dev/v1
        kind: Workload
        metadata: { name: failover-api }
        spec:
          placement:
            selector: { matchLabels: { tier: edge } }
            count: 1
            prefer: greenest
            failover: true
        \(after.map { "    failoverAfter: \($0)\n" } ?? "")  image: registry.example.com/api:1.0

        """
    }

    /// The schema catalog of the built-in providers.
    public static var catalog: SchemaCatalog {
        ProviderRegistry([SimProvider(world: SimWorldStore(directory: "/nonexistent"))]).catalog
    }

    /// Loads YAML text as one file named `test.yaml`.
    public static func load(_ text: String, catalog: SchemaCatalog = catalog) -> LoadedManifests {
        ManifestLoader(catalog: catalog).load([ManifestInput(path: "test.yaml", bytes: Array(text.utf8))])
    }

    /// Reads every manifest under a repository directory, naming files by their path relative
    /// to the repository root so that output does not depend on where the checkout lives.
    public static func inputs(root: String, directory: String) -> [ManifestInput] {
        let full = root + "/" + directory
        let files = (FileManager.default.enumerator(atPath: full)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        return files.map { ManifestInput(path: directory + "/" + $0, bytes: [UInt8](FileManager.default.contents(atPath: full + "/" + $0) ?? Data())) }
    }

    /// Sites named `site-0` … on the sim provider.
    public static func sites(_ count: Int, latencyMs: Int = 0) -> String {
        (0..<count).map { index in
            """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: site-\(index), labels: { index: "\(index)" } }
            spec: { class: \(["cloud", "datacenter", "edge"][index % 3]), provider: sim, config: { latencyMs: \(latencyMs) } }
            ---

            """
        }.joined()
    }

    /// One cloud site `s` on the sim provider, followed by a document separator: the start of
    /// the small estates tests write.
    public static let oneSite = """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: s }
        spec: { class: cloud, provider: sim }
        ---

        """
}

/// A small, fast, seedable generator (SplitMix64) for reproducible random tests.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
