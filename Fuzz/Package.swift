// swift-tools-version: 6.1
// libFuzzer harnesses, in their own package so that libFuzzer's `main` and the sanitizers never
// reach the main package's build or tests. Build and run them with Fuzz/run.sh, which uses its
// own scratch path (.build-fuzz) and -sanitize=fuzzer,address. See docs/reliability.md.
import PackageDescription

let ballast: [Target.Dependency] = [
    .product(name: "BallastCore", package: "Ballast"),
    .product(name: "BallastProviders", package: "Ballast"),
    .product(name: "BallastEngine", package: "Ballast"),
    "FuzzDriver",
]

let package = Package(
    name: "BallastFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ballast", path: ".."),
    ],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "fuzz-manifests",
            dependencies: ballast + [
                .product(name: "BallastSim", package: "Ballast"),
                .product(name: "BallastHost", package: "Ballast"),
            ]),
        .executableTarget(name: "fuzz-json", dependencies: ballast),
        .executableTarget(name: "fuzz-plugin-wire", dependencies: ballast + [.product(name: "BallastPlugins", package: "Ballast")]),
        .executableTarget(name: "fuzz-cloudevents", dependencies: ballast),
        .executableTarget(name: "fuzz-saved-plan", dependencies: ballast),
    ]
)
