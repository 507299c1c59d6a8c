// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "mdmbatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mdmbatch", targets: ["mdmbatch"]),
        .executable(name: "graph-sim", targets: ["graph-sim"]),
        .library(name: "MDMBatchKit", targets: ["MDMBatchKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // what the Graph client and the simulator use of NIO directly (they come with the two above)
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The numbered SQL files of `migrations/`, compiled into the binary.
        .target(
            name: "MDMBatchMigrations",
            path: "migrations",
            resources: [
                .embedInCode("v0001_init.sql"),
                .embedInCode("v0002_runs.sql"),
                .embedInCode("v0003_audit_hash_unindexed.sql"),
                .embedInCode("v0004_enrollment.sql"),
                .embedInCode("v0005_secrets_device_state.sql"),
                .embedInCode("v0006_devices_checks.sql"),
                .embedInCode("v0007_settle_wait.sql"),
                .embedInCode("v0008_run_service.sql"),
                .embedInCode("v0009_secret_claims.sql"),
                .embedInCode("v0010_tenants.sql"),
            ]
        ),
        // What Swift cannot call of SQLite's C interface (its variadic configuration).
        .target(
            name: "CSQLiteSettings",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        // What mdmbatch and graph-sim both need, written once: the inventory readers (no
        // SQLite), platform names, the form codec, the sliding window, the JSONL journal file.
        .target(
            name: "MDMBatchShared",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [
                // The CSV reader and the import's row loop touch class state per byte and per row:
                // as MDMBatchKit, exclusivity is checked in debug builds only.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .target(
            name: "MDMBatchKit",
            dependencies: [
                "MDMBatchShared",
                "MDMBatchMigrations",
                "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [
                // The import and dispatch loops touch class state per row; exclusivity is
                // checked in debug builds (and so by the tests), not in release.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "mdmbatch",
            dependencies: [
                "MDMBatchKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A Graph-shaped service on loopback, for the tests, the demo and the benchmarks.
        .executableTarget(
            name: "graph-sim",
            dependencies: [
                "GraphSimulator",
                "MDMBatchShared",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The simulator itself (state, sign-in, throttling, routes), a library so that its
        // pieces are testable without a process.
        .target(
            name: "GraphSimulator",
            dependencies: [
                "MDMBatchShared",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),
        .testTarget(
            name: "MDMBatchKitTests",
            dependencies: [
                "MDMBatchKit", "MDMBatchShared", "MDMBatchMigrations",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Corpus"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MDMBatchKit", "mdmbatch"]
        ),
        .testTarget(
            name: "GraphSimTests",
            dependencies: [
                "GraphSimulator",
                "graph-sim",
                "MDMBatchShared",
                // only to check that what the simulator serves imports as mdmbatch reads it
                "MDMBatchKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
