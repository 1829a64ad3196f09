import Foundation
import IOCQuery
import Testing

/// Runs every promqltest script in `promql/` (and, for checking the engine against other files,
/// those in `$IOC_PROMQL_TESTS` if set).
@Suite struct PromQLTestSuite {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("promql")

    static var files: [URL] {
        var directories = [directory]
        if let extra = ProcessInfo.processInfo.environment["IOC_PROMQL_TESTS"] {
            directories.append(URL(fileURLWithPath: extra))
        }
        return directories.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "test" }
        }
        .sorted { $0.path < $1.path }
    }

    @Test func theScriptsAreThere() {
        #expect(PromQLTestSuite.files.count >= 5)
    }

    @Test(arguments: PromQLTestSuite.files)
    func script(_ file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        for failure in PromQLTest().run(text) {
            Issue.record("\(file.lastPathComponent):\(failure)")
        }
    }

    /// The harness itself: a wrong value, a missing or extra series, a missing error and an error
    /// that was not expected are each reported, with their line.
    @Test func theHarnessReportsWhatDoesNotHold() {
        let script = """
            load 1m
              m{a="1"} 1 2 3
              m{a="2"} 5

            eval instant at 2m m
              m{a="1"} 4
              m{a="2"} 5

            eval instant at 2m m{a="1"}

            eval instant at 0 m
              m{a="1"} 1

            eval_fail instant at 0 m

            eval instant at 0 m{a=~"("

            eval range from 0 to 2m step 1m m{a="1"}
              m{a="1"} 1 2 _

            eval range from 0 to 2m step 1m m{a="1"}
              m{a="1"} 1+1x2
            """
        let failures = PromQLTest().run(script)
        #expect(failures.map(\.line) == [5, 9, 11, 14, 16, 18])
        #expect(failures.first?.message.contains("expected 4, got 3") == true, "\(failures)")
    }
}
