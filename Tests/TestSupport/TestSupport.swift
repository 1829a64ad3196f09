public import Foundation
import IOCCore
import Glibc
import Synchronization

/// A fresh directory under the system's temporary folder, removed with everything in it on deinit.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "ioc-test") throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Removes the directory when the test process exits: for one a `static` holds (a fixture made
    /// once for a whole suite), which is never freed and so was left in the temporary folder.
    public func removeAtExit() {
        _ = registeredRemoval
        directoriesRemovedAtExit.withLock { $0.append(path) }
    }

    /// `name` inside the directory.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `text` to `name` (creating folders on the way) and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// The directories `removeAtExit` was asked for, removed by a handler registered once.
private let directoriesRemovedAtExit = Mutex<[String]>([])
private let registeredRemoval: Void = {
    atexit {
        for path in directoriesRemovedAtExit.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}()

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For waiting on
/// things that happen in another thread or process, instead of sleeping for a guessed time.
public func waitUntil(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(25),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// A loopback port that nothing listens on: bound to get a free number from the kernel, then closed.
/// A loopback port that refuses connections for as long as this object lives: it is bound but not
/// listening, so no other test can take it meanwhile (a port merely found free could be).
public final class ClosedPort: @unchecked Sendable {
    private let descriptor: Int32
    public let number: Int

    public init() {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        number = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// A loopback port that was free a moment ago, for a server the test starts on it.
public func refusedPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The built `iocd` and `ioc` executables, found beside the test bundle (`swift build` puts them there;
/// `make test` builds them before testing).
public enum BuiltProduct {
    public static func path(_ name: String) throws -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The test binary lives either directly in the build folder or inside a .xctest bundle there.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw BuiltProductMissing(name: name)
    }

    public struct BuiltProductMissing: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "'\(name)' is not built beside the tests; run 'swift build' first (make test does)"
        }
    }
}

/// A program a test runs (iocd, ioc, tmux, nginx, the peers), on IOC's `ChildProcess`, its output
/// going to files that can be read at any time, its environment the test runner's with
/// `environment` over it. `ioc` speaks English to tests (`IOC_LANG=en`) whatever the machine's
/// locale, unless a test asks for a language: the tests of Vietnamese set `IOC_LANG=vi` or clear
/// it. Killed on deinit if still running.
public final class TestProcess: Sendable {
    private let child: ChildProcess
    private let outputDirectory: TemporaryDirectory

    public var pid: pid_t { child.pid }

    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        outputDirectory = try TemporaryDirectory("ioc-child")
        child = try ChildProcess(
            path, arguments,
            environment: ProcessInfo.processInfo.environment.merging(["IOC_LANG": "en"]) { $1 }
                .merging(environment ?? [:]) { $1 },
            output: .file(outputDirectory.file("stdout")), error: .file(outputDirectory.file("stderr")))
    }

    public var standardOutput: String { read("stdout") }
    public var standardError: String { read("stderr") }

    private func read(_ name: String) -> String {
        (try? String(contentsOfFile: outputDirectory.file(name), encoding: .utf8)) ?? ""
    }

    public var isRunning: Bool { child.isRunning }

    /// When it ended, taken on the thread that waits for it (not when a test gets to look).
    public var endedAt: ContinuousClock.Instant? { child.endedAt }

    public func signal(_ number: Int32) { child.signal(number) }

    /// Waits on this thread for the process to end, up to `milliseconds`; its exit status, or nil.
    /// For a `deinit`, which cannot wait asynchronously.
    @available(*, noasync, message: "use await exitStatus(within:)")
    public func waitBlocking(milliseconds: Int64) -> Int32? { child.waitBlocking(milliseconds: milliseconds) }

    /// Waits for the process to end, up to `timeout`; returns its exit status, or nil if still running.
    /// The default is generous: a clean stop syncs the store, and with the whole suite writing in
    /// parallel on a shared disk an fsync can take seconds. Promptness has its own tests.
    public func exitStatus(within timeout: Duration = .seconds(60)) async -> Int32? {
        _ = await waitUntil(timeout: timeout) { !child.isRunning }
        return child.exitStatus
    }

    /// Runs a command to completion and returns its status and output.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try TestProcess(path, arguments, environment: environment)
        let status = await child.exitStatus(within: timeout)
        return (status, child.standardOutput, child.standardError)
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func acceptsConnections(port: Int) -> Bool {
    guard let descriptor = loopbackConnection(port: port) else { return false }
    close(descriptor)
    return true
}

/// A TCP connection to 127.0.0.1:`port`, left open for the caller to close; nil if refused.
public func loopbackConnection(port: Int) -> Int32? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(descriptor)
        return nil
    }
    return descriptor
}

/// A clock in Unix milliseconds that a test moves by hand, for the store's writer and its hours.
public final class ManualClock: Sendable {
    private let time: Mutex<Int64>

    public init(_ start: Int64) { time = Mutex(start) }

    public var now: Int64 { time.withLock { $0 } }

    public func set(_ milliseconds: Int64) { time.withLock { $0 = milliseconds } }

    /// The clock as the writer takes it.
    public var function: @Sendable () -> Int64 { { self.now } }
}

/// Tests that load the machine (a daemon probing the simulator, real syslog and Alertmanager
/// servers, a terminal) and tests that measure timing take turns instead of running in parallel
/// with each other, so that a timing test does not fail because two daemons were busy beside it.
public actor HeavyTests {
    public static let lock = HeavyTests()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Runs `body` when no other heavy test runs.
    public static func one<T>(_ body: () async throws -> T) async throws -> T {
        await lock.acquire()
        do {
            let result = try await body()
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}

extension TestProcess {
    /// Debian's VictoriaMetrics on 127.0.0.1:`port`, keeping its data in `dataPath`, answering
    /// queries with what it has now (not what it had 30 s ago) and from no cache, as a national
    /// centre's rules need it.
    public static func victoriaMetrics(dataPath: String, port: Int) throws -> TestProcess {
        try TestProcess(
            "/usr/bin/victoria-metrics",
            [
                "-storageDataPath=\(dataPath)", "-httpListenAddr=127.0.0.1:\(port)", "-retentionPeriod=100y",
                "-search.latencyOffset=0s", "-search.disableCache",
            ])
    }
}

/// What VictoriaMetrics' `/api/v1/export` answers, one series a line: its labels and timestamps.
/// A line is not always JSON: VictoriaMetrics 1.79 writes a value it cannot put in JSON bare (a
/// series whose first exported sample is a staleness marker comes out as `"values":[NaN,null]`), and
/// a JSON parser then loses that line, so that a series which arrived looked as if it never had.
/// The values are not read, only the labels and timestamps.
public enum VictoriaMetricsExport {
    public static func series(_ output: String) -> [(metric: [String: String], timestamps: [Int64])] {
        output.split(separator: "\n").compactMap { line in
            var line = String(line)
            // After the labels' object: inside a JSON string the quote would be escaped.
            if let values = line.range(of: #"},"values":["#),
                let end = line[values.upperBound...].firstIndex(of: "]")
            {
                line.replaceSubrange(line.index(after: values.lowerBound)...end, with: "")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let metric = object["metric"] as? [String: String], let timestamps = object["timestamps"] as? [Int64]
            else { return nil }
            return (metric, timestamps)
        }
    }
}
