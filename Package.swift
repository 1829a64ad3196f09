// swift-tools-version:6.1
import PackageDescription

/// Every target compiles in Swift 6 language mode; these keep the strictness STYLE.md asks for.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "IOC",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "iocd", targets: ["iocd"]),
        .executable(name: "ioc", targets: ["ioc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C boundaries: system libraries through pkg-config, with typed shims for variadic calls.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // RE2 (Debian's libre2) behind a C interface: PromQL's regular expressions in linear time.
        .target(name: "CRE2", linkerSettings: [.linkedLibrary("re2")]),
        // What the build knew of itself (revision, date, compiler), from scripts/stamp-build.sh.
        .target(name: "CBuildInfo"),

        .target(
            name: "IOCCore",
            dependencies: ["CRE2", "CBuildInfo", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(name: "IOCHTTP", dependencies: ["IOCCore", "CCurl"], swiftSettings: strict),
        .target(name: "IOCProbe", dependencies: ["IOCCore", "IOCHTTP"], swiftSettings: strict),
        .target(name: "IOCStore", dependencies: ["IOCCore", "CSQLite"], swiftSettings: strict),
        .target(name: "IOCQuery", dependencies: ["IOCCore"], swiftSettings: strict),
        // Calendars: service hours and maintenance windows, for alerts, iocd and reports.
        .target(name: "IOCCalendar", dependencies: ["IOCCore", "IOCQuery"], swiftSettings: strict),
        .target(
            name: "IOCAlert",
            dependencies: [
                "IOCCore", "IOCQuery", "IOCCalendar", "IOCStore", "IOCHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "IOCDashboard",
            dependencies: ["IOCCore", "IOCQuery", "IOCStore"],
            swiftSettings: strict
        ),
        // IOC's one HTTP server bootstrap (SwiftNIO), for iocd's listener and the simulator.
        .target(
            name: "IOCHTTPServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "IOCSimulator",
            dependencies: [
                "IOCCore", "IOCHTTPServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // What iocd and ioc read: iocd.yaml and the probe and rule files it names, checked in full.
        .target(
            name: "IOCConfig", dependencies: ["IOCCore", "IOCCalendar", "IOCProbe", "IOCAlert"], swiftSettings: strict),
        // What only `ioc` needs: period reports and relabelling over a store, and the client of a
        // remote Prometheus-compatible API (queries and dashboards).
        .target(name: "IOCReport", dependencies: ["IOCCore", "IOCQuery", "IOCStore"], swiftSettings: strict),
        .target(
            name: "IOCClient",
            dependencies: ["IOCCore", "IOCHTTP", "IOCQuery", "IOCStore", "IOCDashboard"],
            swiftSettings: strict
        ),
        // iocd's composition: its parts as services of one group, the HTTP listener, remote write.
        .target(
            name: "IOCDaemon",
            dependencies: [
                "IOCCore", "IOCCalendar", "IOCConfig", "IOCHTTP", "IOCHTTPServer", "IOCProbe", "IOCStore", "IOCQuery",
                "IOCAlert", "IOCClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "iocd",
            dependencies: [
                "IOCDaemon", "IOCConfig", "IOCQuery", "IOCCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict,
            // jemalloc, not glibc's allocator: 12-14 % less CPU per probe at 2,000 targets, no saving
            // in memory (BENCHMARKS.md, issue 20); ProcessMemory speaks to whichever is in the process.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        // ioc's commands, as a library: the ioc executable runs them, and so does iocd when it is run
        // under the name ioc (the Debian package installs one binary for both).
        .target(
            name: "IOCCommands",
            dependencies: [
                "IOCCore", "IOCHTTP", "IOCProbe", "IOCStore", "IOCQuery", "IOCAlert", "IOCDashboard",
                "IOCSimulator", "IOCConfig", "IOCReport", "IOCClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ioc",
            dependencies: ["IOCCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // `make fuzz` and the replay of its findings in `make test`: every input IOC takes from outside,
        // as a function of bytes (FUZZING.md).
        .target(
            name: "IOCFuzzTargets",
            dependencies: [
                "IOCCore", "IOCProbe", "IOCQuery", "IOCAlert", "IOCDashboard", "IOCStore", "IOCConfig", "IOCDaemon",
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "ioc-fuzz", dependencies: ["IOCFuzzTargets"], swiftSettings: strict),

        // `make bench`: the figures of BENCHMARKS.md (probe engine, store, query engine), built in release mode.
        .executableTarget(
            name: "ioc-bench",
            dependencies: [
                "IOCCore", "IOCHTTP", "IOCProbe", "IOCQuery", "IOCStore", "IOCSimulator", "IOCAlert", "IOCDashboard",
                "IOCReport",
            ],
            path: "Benchmarks/ProbeBenchmark",
            swiftSettings: strict
        ),
        // Test-only helpers: temporary directories, waiting with deadlines, child processes.
        .target(
            name: "TestSupport", dependencies: ["CSQLite", "IOCCore"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "IOCCoreTests", dependencies: ["IOCCore"], swiftSettings: strict),
        .testTarget(
            name: "IOCHTTPTests", dependencies: ["IOCCore", "IOCHTTP", "IOCSimulator", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "IOCProbeTests",
            dependencies: ["IOCProbe", "IOCSimulator", "IOCHTTP", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IOCStoreTests", dependencies: ["IOCStore", "CSQLite", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IOCQueryTests", dependencies: ["IOCQuery", "TestSupport", "CSQLite"], exclude: ["promql"],
            swiftSettings: strict),
        .testTarget(
            name: "IOCAlertTests",
            dependencies: [
                "IOCAlert", "IOCHTTP", "IOCStore", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        .testTarget(
            name: "IOCDashboardTests",
            dependencies: ["IOCDashboard", "IOCStore", "IOCQuery", "TestSupport"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(name: "IOCSimulatorTests", dependencies: ["IOCSimulator"], swiftSettings: strict),
        .testTarget(
            name: "IOCDaemonTests",
            dependencies: [
                "IOCDaemon", "IOCAlert", "IOCStore", "IOCQuery", "IOCSimulator", "IOCProbe", "TestSupport", "CSQLite",
                "IOCFuzzTargets", "IOCCore", "IOCConfig", "IOCReport", "IOCCalendar", "IOCHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
    ]
)
