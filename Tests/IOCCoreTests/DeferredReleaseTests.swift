import Foundation
import IOCCore
import Synchronization
import Testing

/// A large read's state handed to `DeferredRelease` is freed, and freed on another thread than the
/// reader's, which keeps nothing of it.
@Suite struct DeferredReleaseTests {
    /// The threads witnesses were freed on.
    final class Record: Sendable {
        let threads = Mutex<[String]>([])
    }

    /// Records the thread its last reference was dropped on.
    final class Witness: Sendable {
        let record: Record

        init(_ record: Record) { self.record = record }

        deinit {
            let thread = String(describing: pthread_self())
            record.threads.withLock { $0.append(thread) }
        }
    }

    @Test func whatIsHandedOverIsFreedOnAnotherThread() async throws {
        let record = Record()
        let reader = try await BackgroundThread.run("ioc-test-read") { () -> String in
            var state = (0..<DeferredRelease.worthwhile).map { _ in [Witness(record)] }
            DeferredRelease.later(&state, leaving: [])
            #expect(state.isEmpty)
            return String(describing: pthread_self())
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while record.threads.withLock({ $0.count }) < DeferredRelease.worthwhile, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let threads = record.threads.withLock { $0 }
        #expect(threads.count == DeferredRelease.worthwhile)
        #expect(!threads.contains(reader))
    }
}
