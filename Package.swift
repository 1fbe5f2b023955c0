// swift-tools-version:6.1
import PackageDescription

let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

/// The numeric core is optimised in debug builds too: its tests replay hundreds of simulated markets (the gate's
/// error rates), which -Onone runs 20-30 times slower. Everything else stays -Onone for the debugger.
let optimisedInDebug: [SwiftSetting] = strictSwift6 + [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "Keel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "keel", targets: ["keel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0"),
        .package(url: "https://github.com/JohnSundell/Plot.git", from: "0.14.0"),
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing.git", from: "1.19.7"),
    ],
    targets: [
        // Pure domain and compute: no I/O, no server types.
        // Stores Swift cannot emit (non-temporal), inlined into KeelCore's loops over large columns.
        .target(name: "CKeelMemory"),
        .target(name: "KeelCore", dependencies: ["CKeelMemory"], swiftSettings: optimisedInDebug),
        .target(name: "KeelML", dependencies: ["KeelCore"], swiftSettings: optimisedInDebug),
        .target(
            name: "KeelBrokers",
            dependencies: ["KeelCore", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: strictSwift6
        ),
        // Stands in for Schwab in tests and demos. Shares no code with KeelBrokers' Schwab client.
        .target(
            name: "SchwabSandbox",
            dependencies: [
                "KeelCore", "KeelWeb",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "KeelStore",
            dependencies: [
                "KeelCore",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "KeelServices",
            dependencies: [
                "KeelCore", "KeelML", "KeelBrokers", "KeelStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        // The advisor's workspace: page models and their HTML renderers (Plot), shared layout and server-side SVG
        // charts. No HTTP and no database: a page is a pure function of its model.
        .target(
            name: "KeelWeb",
            dependencies: ["KeelCore", .product(name: "Plot", package: "Plot")],
            swiftSettings: strictSwift6
        ),
        .target(
            // The workspace's page queries: read under a principal through the services, answer KeelWeb's page models.
            name: "KeelWorkspace",
            dependencies: ["KeelCore", "KeelML", "KeelServices", "KeelStore", "KeelWeb"],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "KeelAPI",
            dependencies: [
                "KeelCore", "KeelML", "KeelBrokers", "KeelServices", "KeelStore", "KeelWeb", "KeelWorkspace",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "keel",
            dependencies: [
                "KeelAPI", "KeelCore", "KeelBrokers", "KeelML", "KeelServices", "KeelStore", "KeelWeb", "KeelWorkspace", "SchwabSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "KeelBenchmarks",
            dependencies: [
                "KeelCore", "KeelML", "KeelAPI", "KeelServices", "KeelStore",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "KeelTestSupport",
            dependencies: [
                "KeelAPI", "KeelStore", "KeelServices", "KeelBrokers", "KeelWeb", "SchwabSandbox",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/KeelTestSupport",
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "KeelCoreTests",
            dependencies: ["KeelCore", "KeelML", "KeelBrokers", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSwift6
        ),
        .testTarget(name: "KeelBrokersTests", dependencies: ["KeelBrokers", "KeelCore"], swiftSettings: strictSwift6),
        .testTarget(
            name: "KeelWebTests",
            dependencies: ["KeelWeb", "KeelCore", "KeelTestSupport", .product(name: "SnapshotTesting", package: "swift-snapshot-testing"),
                           .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["__Snapshots__"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "KeelIntegrationTests",
            dependencies: [
                "KeelTestSupport", "KeelServices", "KeelWeb", .product(name: "VaporTesting", package: "vapor"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSwift6
        ),
    ]
)
