import Foundation

/// The one way IOC runs long-lived blocking work (SQLite writes, libcurl's loop, rule evaluation,
/// notification delivery): on a thread of its own, never on Swift's cooperative pool. The body loops
/// until `isStopping`, pausing with `pause(milliseconds:)`; `wake()` and a stop end a pause at once,
/// so no part polls a flag. `stop() async` asks the body to end and resumes when the thread has
/// ended, through a continuation: an async caller never blocks a thread of the pool.
///
/// `@unchecked Sendable`: every field is guarded by `condition`.
public final class BackgroundThread: @unchecked Sendable {
    public let name: String
    private let condition = NSCondition()
    private var started = false
    private var stopping = false
    private var woken = false
    private var ended = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(name: String) { self.name = name }

    /// Starts the thread running `body`, which gets this object to pause on and to ask whether to
    /// end. A second call, or a call after a stop, does nothing.
    public func start(_ body: @escaping @Sendable (BackgroundThread) -> Void) {
        let first = locked { () -> Bool in
            defer { started = true }
            return !started && !stopping
        }
        guard first else { return }
        let thread = Thread { [self] in
            BackgroundThread.nameCurrentThread(name)
            body(self)
            let resumed = locked { () -> [CheckedContinuation<Void, Never>] in
                ended = true
                condition.broadcast()
                defer { waiters = [] }
                return waiters
            }
            resumed.forEach { $0.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Names the calling thread for `top -H`, `ps -L` and `perf` (the kernel keeps 15 bytes):
    /// Foundation keeps its thread names to itself, and each thread showed the name of the one that
    /// made it. `pthread_setname_np` is glibc's and not in Swift's Glibc module: found by name.
    private static func nameCurrentThread(_ name: String) {
        typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
        guard let symbol = setName else { return }
        _ = unsafeBitCast(symbol, to: SetName.self)(
            pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }

    private nonisolated(unsafe) static let setName = dlsym(nil, "pthread_setname_np")

    /// Whether the body has been asked to end.
    public var isStopping: Bool { locked { stopping } }

    /// Ends the current or next pause early.
    public func wake() {
        locked {
            woken = true
            condition.signal()
        }
    }

    /// Waits until `wake()`, a stop or `milliseconds` have passed, on the calling (background)
    /// thread. Returns false when the body should end.
    @discardableResult
    public func pause(milliseconds: Int64) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(min(max(0, milliseconds), 365 * 86_400_000)) / 1000)
        return locked {
            while !woken && !stopping && condition.wait(until: deadline) {}
            woken = false
            return !stopping
        }
    }

    /// Asks the body to end, without waiting for it.
    public func requestStop() {
        locked {
            stopping = true
            condition.broadcast()
        }
    }

    /// Asks the body to end and returns when its thread has ended (at once if it never started).
    public func stop() async {
        requestStop()
        await finished()
    }

    /// Returns when the thread has ended (at once if it never started), without asking it to.
    public func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = locked { () -> Bool in
                if !started || ended { return true }
                waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// `stop()` for synchronous callers on threads of their own (tests, the command line's
    /// synchronous paths): blocks the calling thread.
    @available(*, noasync, message: "use 'await stop()'")
    public func stopWaiting() {
        requestStop()
        waitBlocking()
    }

    /// `finished()` for synchronous callers on threads of their own: blocks the calling thread.
    @available(*, noasync, message: "use 'await finished()'")
    public func waitBlocking() {
        locked {
            while started && !ended { condition.wait() }
        }
    }

    private func locked<T>(_ work: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try work()
    }
}

extension BackgroundThread {
    /// Runs `body` once on a thread of its own and returns what it returns: a blocking call (opening
    /// SQLite, reading files) made from async code without holding a thread of the cooperative pool.
    public static func run<Result: Sendable>(
        _ name: String, _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            BackgroundThread(name: name).start { _ in continuation.resume(with: Swift.Result { try body() }) }
        }
    }
}

/// Something that happens once (a commit, a transfer, a child's exit), waited for by one or more
/// callers: asynchronously through a continuation, or, on threads of their own, by blocking.
///
/// `@unchecked Sendable`: every field is guarded by `condition`.
public final class Completion: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Marks it done and resumes whoever waits; later calls do nothing.
    public func complete() {
        condition.lock()
        let resumed = done ? [] : waiters
        done = true
        waiters = []
        condition.broadcast()
        condition.unlock()
        resumed.forEach { $0.resume() }
    }

    public var isComplete: Bool {
        condition.lock()
        defer { condition.unlock() }
        return done
    }

    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            let already = done
            if !already { waiters.append(continuation) }
            condition.unlock()
            if already { continuation.resume() }
        }
    }

    /// Blocks the calling thread until done, or until `milliseconds` have passed (then false).
    @available(*, noasync, message: "use 'await wait()'")
    @discardableResult
    public func waitBlocking(milliseconds: Int64? = nil) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let milliseconds else {
            while !done { condition.wait() }
            return true
        }
        // Bounded: a date far away overflows NSCondition's conversion to a timespec.
        let deadline = Date(timeIntervalSinceNow: Double(min(max(0, milliseconds), 365 * 86_400_000)) / 1000)
        while !done && condition.wait(until: deadline) {}
        return done
    }
}

/// A long-lived part of a program that works in the background (a `BackgroundThread`, libcurl's loop,
/// the store's writer): started once, stopped once, after which its work is done or kept. iocd runs
/// each as a service of its one service group.
public protocol BackgroundWork: Sendable {
    /// Starts the work; returns at once. A failure to start is thrown.
    func start() async throws
    /// Ends the work and returns when it has ended, without blocking a thread of the caller.
    func stop() async
}
