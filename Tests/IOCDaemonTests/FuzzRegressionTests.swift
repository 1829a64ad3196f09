import Foundation
import IOCFuzzTargets
import Testing

/// Every input kept under Tests/Fuzz/<target>/ (the seeds, and each crasher `make fuzz` found,
/// named crash-...) and the binary seeds run through their fuzz target: none may trap, overflow the
/// stack or hang. A crasher stays here for good once it is fixed.
@Suite struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    @Test(arguments: FuzzTargets.names)
    func keptInputsRunWithoutACrash(target: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(Self.folder)/\(target)").sorted()
        let inputs =
            try files.map { try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(target)/\($0)")) }
            .map { Array($0) } + FuzzTargets.seeds(for: target)
        #expect(!inputs.isEmpty, "no inputs for \(target)")
        for input in inputs { #expect(FuzzTargets.run(target, input)) }
    }

    @Test func everyTargetHasItsFolder() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.folder)
        #expect(Set(folders) == Set(FuzzTargets.names))
    }
}
