import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Benchmark
import Foundation
import Logging

/// Load, load+validate and plan for generated estates of 1k, 10k and 100k resources.
let benchmarks: @Sendable () -> Void = {
    let sizes = [1_000, 10_000, 100_000]
    let catalog = TestManifests.catalog
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal]

    for size in sizes {
        let text = ManifestCorpus.generate(resources: size)
        let input = ManifestInput(path: "generated.yaml", bytes: Array(text.utf8))
        let iterations = size >= 100_000 ? 3 : 10
        let configuration = Benchmark.Configuration(metrics: metrics, maxDuration: .seconds(60), maxIterations: iterations)

        Benchmark("load \(size / 1000)k (YAML to trees)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                let result = YAMLLoader().load(bytes: input.bytes, file: 0) { node, _ in node.nodeCount }
                blackHole(result.outputs.count)
            }
        }

        Benchmark("load+validate \(size / 1000)k", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                let loaded = ManifestLoader(catalog: catalog).load([input])
                precondition(loaded.desired != nil)
                blackHole(loaded.desired!.resources.count)
            }
        }

        Benchmark("plan \(size / 1000)k against an up-to-date sim world", configuration: configuration) { benchmark in
            let directory = TemporaryDirectory(prefix: "ballast-bench")
            defer { directory.remove() }
            let world = SimWorldStore(directory: directory.file("sim"))
            let registry = ProviderRegistry([SimProvider(world: world)])
            let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
            let service = PlanService(registry: registry, store: InMemoryStateStore(), secrets: FixedSecretSource(), logger: logger)
            let seed = service.loader.load([input])
            try await WorldSeeder.seed(seed.desired!, provider: SimProvider(world: world))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                // A fresh provider each time, so the world is read from disk as a new process would.
                let fresh = PlanService(registry: ProviderRegistry([SimProvider(world: SimWorldStore(directory: directory.file("sim")))]), store: InMemoryStateStore(), secrets: FixedSecretSource(), logger: logger)
                let outcome = try await fresh.plan(fresh.loader.load([input]), inputs: ["generated.yaml"])
                precondition(outcome.plan?.hasChanges == false)
                blackHole(outcome.plan!.actions.count)
            }
        }
    }
}
