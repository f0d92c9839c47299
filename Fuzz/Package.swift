// swift-tools-version: 6.1
// libFuzzer harnesses, in their own package so that libFuzzer's `main` and the sanitizers never
// reach the main package's build or tests. Build and run them with Fuzz/run.sh, which uses its
// own scratch path (.build-fuzz) and -sanitize=fuzzer,address. See docs/reliability.md.
import PackageDescription

let package = Package(
    name: "BallastFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ballast", path: ".."),
    ],
    targets: [
        // One executable for every harness (one link instead of five): BALLAST_FUZZ_HARNESS picks.
        .executableTarget(
            name: "ballast-fuzz",
            dependencies: [
                .product(name: "BallastCore", package: "Ballast"),
                .product(name: "BallastProviders", package: "Ballast"),
                .product(name: "BallastEngine", package: "Ballast"),
                .product(name: "BallastPlugins", package: "Ballast"),
                .product(name: "BallastSim", package: "Ballast"),
                .product(name: "BallastHost", package: "Ballast"),
            ]),
    ]
)
