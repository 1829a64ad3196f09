import Foundation
import TestSupport
import Testing

/// Tests' heavy synchronous work runs on the thread they share, still as the test that runs it.
@Suite struct TestWorkThreadTests {
    @Test func theBodyRunsOffThePoolAsTheTest() async throws {
        let (name, test) = try await onTestWorkThread { () -> (String, String?) in
            let name = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            return (name.trimmingCharacters(in: .newlines), Test.current?.name)
        }
        #expect(name == "ioc-test-work")
        #expect(test == Test.current?.name && test != nil)
    }
}
