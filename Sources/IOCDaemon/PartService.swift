import IOCCore
import Logging
public import ServiceLifecycle
import Synchronization

/// Opens when a part has started, or has failed to: the next part in iocd's start order waits
/// for it, and does not start after a failure.
final class StartGate: Sendable {
    private let opened = Completion()
    private let succeeded = Mutex(false)

    func open(started: Bool) {
        succeeded.withLock { $0 = started }
        opened.complete()
    }

    /// Whether the part before started; waits until it has tried.
    func passed() async -> Bool {
        await opened.wait()
        return succeeded.withLock { $0 }
    }
}

/// A part of iocd (`BackgroundWork`) as a service of its one service group. It starts after the
/// part before it in the group has started, runs until the group shuts down, and then stops. The
/// group shuts its services down in the reverse of their order, each after the one after it has
/// returned, so the order of `services` is the start order and its reverse the stop order.
public struct PartService: Service, CustomStringConvertible {
    public let name: String
    let part: any BackgroundWork
    let after: StartGate?
    let gate = StartGate()
    let logger: Logger
    /// How long a part may take to stop before the log names it (and again after as long).
    let slowStop: Duration

    public var description: String { name }

    init(
        _ name: String, _ part: any BackgroundWork, after: StartGate?, logger: Logger, slowStop: Duration = .seconds(10)
    ) {
        self.name = name
        self.part = part
        self.after = after
        self.logger = logger
        self.slowStop = slowStop
    }

    public func run() async throws {
        guard await after?.passed() ?? true else {
            gate.open(started: false)
            return
        }
        do {
            try await part.start()
        } catch {
            gate.open(started: false)
            throw error
        }
        gate.open(started: true)
        logger.debug("started", metadata: ["part": "\(name)"])
        // Returns when the group shuts down gracefully, or throws when it is cancelled: stop either way.
        try? await gracefulShutdown()
        // A part that holds the stop up is named every `slowStop` (ten seconds), so that a slow
        // stop (a commit on a busy disk, a delivery that does not end) says what it waits for.
        let (name, slowStop) = (name, slowStop)
        let watch = Task { [logger] in
            var waited = Duration.zero
            while (try? await Task.sleep(for: slowStop)) != nil {
                waited += slowStop
                logger.warning(
                    "a part is slow to stop",
                    metadata: ["part": "\(name)", "seconds": "\(waited.inMilliseconds / 1000)"])
            }
        }
        await part.stop()
        watch.cancel()
        logger.debug("stopped", metadata: ["part": "\(name)"])
    }

    /// Services for `parts`, in order: each starts after the one before it has started.
    static func chain(
        _ parts: [(String, any BackgroundWork)], logger: Logger, slowStop: Duration = .seconds(10)
    ) -> [PartService] {
        var services: [PartService] = []
        for (name, part) in parts {
            services.append(PartService(name, part, after: services.last?.gate, logger: logger, slowStop: slowStop))
        }
        return services
    }
}

/// Work without a thread that still has a start and a stop: closures, for the parts that are
/// objects of other layers (the store's writer, the HTTP client, the probe runtime, the listener).
struct WorkClosures: BackgroundWork {
    let onStart: @Sendable () async throws -> Void
    let onStop: @Sendable () async -> Void

    init(start: @escaping @Sendable () async throws -> Void = {}, stop: @escaping @Sendable () async -> Void) {
        onStart = start
        onStop = stop
    }

    func start() async throws { try await onStart() }
    func stop() async { await onStop() }
}
