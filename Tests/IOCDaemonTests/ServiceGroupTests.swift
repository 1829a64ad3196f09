import IOCCore
@testable import IOCDaemon
import IOCStore
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import TestSupport
import Testing
import IOCConfig

/// iocd's parts in its one service group: started in order, each after the one before it has
/// started; stopped in reverse, each after the one after it has stopped; a part that fails to
/// start stops the ones already started, in reverse, and the rest never start.
@Suite struct ServiceGroupTests {
    /// What the parts did, in order.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    struct Failed: Error {}

    /// A part that takes a while to start (so that an order kept by luck would show) and to stop.
    struct RecordingPart: BackgroundWork {
        let name: String
        let journal: Journal
        var fails = false
        var stopping: Duration = .milliseconds(20)
        /// A stop that lasts until this holds (or a minute has passed), instead of `stopping`.
        var stopsWhen: (@Sendable () -> Bool)?

        func start() async throws {
            try await Task.sleep(for: .milliseconds(20))
            if fails {
                journal.add("failed \(name)")
                throw Failed()
            }
            journal.add("started \(name)")
        }

        func stop() async {
            if let stopsWhen {
                _ = await waitUntil(timeout: .seconds(60)) { stopsWhen() }
            } else {
                try? await Task.sleep(for: stopping)
            }
            journal.add("stopped \(name)")
        }
    }

    /// Keeps the warnings logged.
    struct WarningsKept: LogHandler {
        let journal: Journal
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            journal.add("\(event.message) \(event.metadata?["part"].map { "\($0)" } ?? "")")
        }
    }

    func group(_ parts: [RecordingPart], logger: Logger = Logger(label: "test"), slowStop: Duration = .seconds(10))
        -> ServiceGroup
    {
        let services = PartService.chain(parts.map { ($0.name, $0) }, logger: logger, slowStop: slowStop).map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        return ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
    }

    @Test func partsStartInOrderAndStopInReverse() async throws {
        let journal = Journal()
        let names = ["store", "client", "rules", "probes", "listener"]
        let group = group(names.map { RecordingPart(name: $0, journal: journal) })
        try await testGracefulShutdown { trigger in
            let running = Task { try await group.run() }
            #expect(await waitUntil(timeout: .seconds(60)) { journal.all.count == names.count })
            trigger.triggerGracefulShutdown()
            try await running.value
        }
        #expect(journal.all == names.map { "started \($0)" } + names.reversed().map { "stopped \($0)" })
    }

    /// A part that holds the stop up is named in the log while it does, and only it: here a part
    /// that stops once it has been named twice, beside two that stop at once.
    @Test func aPartSlowToStopIsNamed() async throws {
        let journal = Journal()
        let warnings = Journal()
        let logger = Logger(label: "test") { _ in WarningsKept(journal: warnings) }
        @Sendable func named() -> [String] { warnings.all.filter { $0.hasPrefix("a part is slow to stop") } }
        var slow = RecordingPart(name: "notifications", journal: journal)
        slow.stopsWhen = { named().count >= 2 }
        var store = RecordingPart(name: "store", journal: journal)
        var probes = RecordingPart(name: "probes", journal: journal)
        (store.stopping, probes.stopping) = (.zero, .zero)
        let group = group([store, slow, probes], logger: logger, slowStop: .seconds(1))
        try await testGracefulShutdown { trigger in
            let running = Task { try await group.run() }
            #expect(await waitUntil(timeout: .seconds(60)) { journal.all.count == 3 })
            trigger.triggerGracefulShutdown()
            try await running.value
        }
        #expect(journal.all.suffix(3) == ["stopped probes", "stopped notifications", "stopped store"])
        #expect(named().count >= 2 && named().allSatisfy { $0.hasSuffix("notifications") }, "\(warnings.all)")
    }

    @Test func aPartThatFailsStopsTheStartedOnesInReverseAndTheRestNeverStart() async throws {
        let journal = Journal()
        let parts = [
            RecordingPart(name: "store", journal: journal), RecordingPart(name: "client", journal: journal),
            RecordingPart(name: "rules", journal: journal, fails: true),
            RecordingPart(name: "probes", journal: journal),
        ]
        await #expect(throws: Failed.self) { try await group(parts).run() }
        #expect(journal.all == ["started store", "started client", "failed rules", "stopped client", "stopped store"])
    }

    /// The daemon's own order: the store's writer first (so it closes last), reloads last.
    @Test func theDaemonsPartsAreInTheirDocumentedOrder() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "iocd.yaml",
            """
            storage: {path: ioc.db}
            http: {listen: '127.0.0.1:0'}
            remote_write: [{url: 'http://127.0.0.1:1/api/v1/write'}]
            """)
        let configuration = try ConfigFiles.load(config)
        let writer = try SampleWriter(path: directory.file("ioc.db"))
        let logger = Logger(label: "test")
        let parts = DaemonParts(configuration: configuration, writer: writer, logger: logger)
        let names = parts.services(configPath: config, engine: .init(), logger: logger).map { "\($0.service)" }
        #expect(
            names == [
                "store", "http client", "service hours", "rules and notifications",
                "remote write to http://127.0.0.1:1/api/v1/write", "probes", "HTTP listener", "watchdog", "reload",
            ])
        await parts.client.shutdown()
        await writer.close()
    }
}
