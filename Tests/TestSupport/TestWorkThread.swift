import Foundation
import IOCCore

/// Runs `body`, seconds of synchronous work (a property test over thousands of cases, a fixture
/// built in one go), on the one thread that such work of every test shares, as the test it belongs
/// to: its `#expect`s are that test's. Swift Testing runs every test on the cooperative pool, one
/// thread per core; on two cores two such bodies held the whole pool, and the tests that wait for
/// short sleeps (a service group's parts starting, a remote write's retries) waited a minute
/// behind them. One thread and not one each: thirty cases of a parameterised test on threads of
/// their own left the pool a thirtieth of the processors.
public func onTestWorkThread<Result: Sendable>(_ body: @Sendable () throws -> Result) async throws -> Result {
    try await withTaskExecutorPreference(ThreadExecutor.testWork) { try body() }
}

/// A task executor that runs its jobs, one after another, on one thread it owns.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// Where `onTestWorkThread` runs bodies, for the whole run.
    static let testWork = ThreadExecutor(name: "ioc-test-work")

    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []

    init(name: String) {
        BackgroundThread(name: name).start { [self] _ in loop() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
