// swift-tools-version: 6.1
// Benchmarks live in their own package so that the main package's build and tests never
// pay for package-benchmark. Run from this directory: swift package benchmark
import PackageDescription

let package = Package(
    name: "BallastBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ballast", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "BallastBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BallastCore", package: "Ballast"),
                .product(name: "BallastProviders", package: "Ballast"),
                .product(name: "BallastSim", package: "Ballast"),
                .product(name: "BallastState", package: "Ballast"),
                .product(name: "BallastEngine", package: "Ballast"),
                .product(name: "BallastTesting", package: "Ballast"),
            ],
            path: "Benchmarks/BallastBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "generate-manifests",
            dependencies: [.product(name: "BallastTesting", package: "Ballast")],
            path: "Sources/generate-manifests"
        ),
        .executableTarget(
            name: "watch-heal-latency",
            dependencies: [
                .product(name: "BallastCore", package: "Ballast"),
                .product(name: "BallastProviders", package: "Ballast"),
                .product(name: "BallastSim", package: "Ballast"),
            ],
            path: "Sources/watch-heal-latency"
        ),
    ],
    swiftLanguageModes: [.v6]
)
