import Foundation
import Glibc
import Synchronization

/// A program started with posix_spawn(3), with no shell between the caller and it: exec hooks,
/// and the peers and tools the tests run. Unlike `Foundation.Process` on Linux, waiting for it
/// waits for this process only, not for every descendant it leaves behind. The child starts with
/// default signal dispositions and an empty signal mask, as from a shell, whatever the parent
/// ignores or blocks (iocd ignores SIGPIPE; ServiceLifecycle blocks SIGTERM). One thread per child
/// waits in waitpid(2), so nothing polls.
public final class ChildProcess: Sendable {
    /// Where a standard stream goes.
    public enum Stream: Sendable {
        case null
        /// Written to (created, truncated) this file, mode 0600.
        case file(String)
        /// For standard input: a pipe the caller writes through `write(input:)`.
        case pipe
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    public let pid: Int32
    private let inputDescriptor: Mutex<Int32?>
    private let ended = Completion()
    private let status = Box()

    private final class Box: Sendable {
        let value = Mutex<Int32?>(nil)
        let endedAt = Mutex<ContinuousClock.Instant?>(nil)
    }

    /// Starts `path` with `arguments` and exactly `environment` (nothing inherited).
    public init(
        _ path: String, _ arguments: [String], environment: [String: String], input: Stream = .null,
        output: Stream = .null, error: Stream = .null
    ) throws(SpawnError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeEnds: [Int32] = [-1, -1]
        if case .pipe = input {
            guard pipe(&pipeEnds) == 0 else {
                throw SpawnError(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
            }
            // Not inherited by other children (exec hooks run concurrently): only dup2 gives it to this one.
            _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        }
        for (descriptor, stream) in [(Int32(0), input), (1, output), (2, error)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(
                    &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let file):
                posix_spawn_file_actions_addopen(&actions, descriptor, file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            case .pipe:
                break
            }
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let code = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        if pipeEnds[0] >= 0 { close(pipeEnds[0]) }
        guard code == 0 else {
            if pipeEnds[1] >= 0 { close(pipeEnds[1]) }
            throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(code)))")
        }
        pid = child
        inputDescriptor = Mutex(pipeEnds[1] >= 0 ? pipeEnds[1] : nil)
        let waiter = BackgroundThread(name: "ioc-child-wait")
        waiter.start { [pid, status, ended] _ in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            let signal = raw & 0x7f
            status.endedAt.withLock { $0 = .now }
            status.value.withLock { $0 = signal == 0 ? (raw >> 8) & 0xff : 128 + signal }
            ended.complete()
        }
    }

    deinit {
        if !ended.isComplete { kill(pid, SIGKILL) }
        closeInput()
    }

    /// Writes `bytes` to the child's standard input (a `.pipe`) and closes it. Blocks while the
    /// child does not read: call it on a thread that may block. A child that exits without reading
    /// makes it return (EPIPE; the caller must ignore SIGPIPE).
    @available(*, noasync, message: "blocks while the child does not read")
    public func write(input bytes: [UInt8]) {
        guard let descriptor = inputDescriptor.withLock({ $0 }) else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { break }
            offset += written
        }
        closeInput()
    }

    private func closeInput() {
        if let descriptor = inputDescriptor.withLock({ value in
            defer { value = nil }
            return value
        }) {
            close(descriptor)
        }
    }

    /// Whether it still runs.
    public var isRunning: Bool { !ended.isComplete }

    /// The exit status (128 + the signal's number for a process a signal ended), once ended.
    public var exitStatus: Int32? { status.value.withLock { $0 } }

    /// When it ended (as its waiting thread saw it), once ended.
    public var endedAt: ContinuousClock.Instant? { status.endedAt.withLock { $0 } }

    public func signal(_ number: Int32) { if !ended.isComplete { kill(pid, number) } }

    /// Returns its exit status when it has ended.
    public func exited() async -> Int32 {
        await ended.wait()
        return exitStatus ?? -1
    }

    /// Waits at most `milliseconds` for it to end, blocking the calling thread; its status, or nil.
    @available(*, noasync, message: "use 'await exited()'")
    public func waitBlocking(milliseconds: Int64) -> Int32? {
        ended.waitBlocking(milliseconds: milliseconds) ? exitStatus : nil
    }
}
