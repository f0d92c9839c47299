// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Ballast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ballast", targets: ["ballast"]),
        .library(name: "BallastCore", targets: ["BallastCore"]),
        .library(name: "BallastProviders", targets: ["BallastProviders"]),
        .library(name: "BallastSim", targets: ["BallastSim"]),
        .library(name: "BallastEngine", targets: ["BallastEngine"]),
        .library(name: "BallastState", targets: ["BallastState"]),
        .library(name: "BallastSQLite", targets: ["BallastSQLite"]),
        .library(name: "BallastPostgres", targets: ["BallastPostgres"]),
        .library(name: "BallastServer", targets: ["BallastServer"]),
        .library(name: "BallastAWS", targets: ["BallastAWS"]),
        .library(name: "BallastPlugins", targets: ["BallastPlugins"]),
        .library(name: "BallastHost", targets: ["BallastHost"]),
        .library(name: "BallastGit", targets: ["BallastGit"]),
        .library(name: "BallastTesting", targets: ["BallastTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "BallastCore",
            dependencies: [
                "CYAML",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastProviders",
            dependencies: [
                "BallastCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The simulated provider, apart from the Provider protocol it implements.
        .target(
            name: "BallastSim",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The StateStore protocol, its values, the lease, the plan key and the in-memory store:
        // what every backend shares, without GRDB.
        .target(
            name: "BallastState",
            dependencies: ["BallastCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastSQLite",
            dependencies: [
                "BallastCore",
                "BallastState",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL state store, for state shared by several machines.
        .target(
            name: "BallastPostgres",
            dependencies: [
                "BallastCore",
                "BallastState",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastEngine",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                "BallastState",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Collections", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastAWS",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastHost",
            dependencies: ["BallastCore", "BallastProviders"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastPlugins",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastServer",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                "BallastState",
                "BallastEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Manifests from a git repository, through the system git CLI.
        .target(
            name: "BallastGit",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                "BallastEngine",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BallastTesting",
            dependencies: ["BallastCore", "BallastProviders", "BallastSim", "BallastState", "BallastEngine"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ballast",
            dependencies: [
                "BallastCore",
                "BallastProviders",
                "BallastSim",
                "BallastState",
                "BallastSQLite",
                "BallastPostgres",
                "BallastEngine",
                "BallastServer",
                "BallastAWS",
                "BallastPlugins",
                "BallastHost",
                "BallastGit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastCoreTests",
            dependencies: ["BallastCore", "BallastProviders", "BallastSim", "BallastTesting"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastStoreTests",
            dependencies: ["BallastCore", "BallastProviders", "BallastState", "BallastSQLite", "BallastPostgres", "BallastTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastEngineTests",
            dependencies: [
                "BallastCore", "BallastProviders", "BallastSim", "BallastState", "BallastEngine", "BallastTesting", "BallastPlugins",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastGitTests",
            dependencies: ["BallastCore", "BallastEngine", "BallastGit", "BallastTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastAWSTests",
            dependencies: ["BallastCore", "BallastProviders", "BallastAWS", "BallastTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastServerTests",
            dependencies: [
                "BallastCore", "BallastProviders", "BallastSim", "BallastState", "BallastEngine", "BallastServer", "BallastTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BallastCLITests",
            dependencies: ["BallastCore", "BallastHost", "BallastProviders", "BallastTesting"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
