import Foundation
import IOCCore
import Synchronization

/// Runs `body`, seconds of synchronous work (a property test over thousands of cases, a fixture
/// built in one go), on a thread of its own, as the test it belongs to: its `#expect`s are that
/// test's. Swift Testing runs every test on the cooperative pool, which has one thread per core;
/// two such bodies on a two-core machine held the whole pool, and the tests that wait for short
/// sleeps (a service group's parts starting, a remote write's retries) waited behind them for a
/// minute at the start of `make test`.
public func onOwnThread<Result: Sendable>(_ body: @Sendable () throws -> Result) async throws -> Result {
    let executor = ThreadExecutor()
    defer { executor.stop() }
    return try await withTaskExecutorPreference(executor) { try body() }
}

/// A task executor that runs its jobs, one after another, on one thread it owns.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var stopping = false

    init() {
        BackgroundThread(name: "ioc-test-work").start { [self] _ in loop() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs enqueued so far have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
