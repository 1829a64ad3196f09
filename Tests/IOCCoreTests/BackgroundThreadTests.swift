import Foundation
import IOCCore
import Testing

/// The threads IOC runs its blocking work on carry their names where an administrator looks for
/// them (`top -H`, `ps -L`, `perf`): the kernel's name of the thread, cut to its 15 bytes.
@Suite struct BackgroundThreadTests {
    @Test func aThreadCarriesItsNameInTheKernel() async throws {
        let short = try await BackgroundThread.run("ioc-test") {
            try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        }
        #expect(short == "ioc-test\n")
        let long = try await BackgroundThread.run("ioc-store-writer-of-a-long-name") {
            try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        }
        #expect(long == "ioc-store-write\n")
    }
}
