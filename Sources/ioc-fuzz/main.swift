// ioc-fuzz TARGET [FILE|DIR ...]: runs a fuzz target of IOCFuzzTargets on each file (every file of
// a folder), as `make test` replays the corpus and the crashers kept under Tests/Fuzz. Built with
// `-D IOC_LIBFUZZER` and libFuzzer (`make fuzz`), it hands the target to libFuzzer instead.
import Foundation
import IOCFuzzTargets

#if IOC_LIBFUZZER
    /// libFuzzer's entry for programs with their own main (libclang_rt.fuzzer_no_main).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    nonisolated(unsafe) var fuzzedTarget = ""
#endif

let arguments = CommandLine.arguments
// ioc-fuzz seeds DIR: the binary targets' seed inputs, made by IOC's own encoders, into DIR/<target>/.
if arguments.count == 3, arguments[1] == "seeds" {
    for name in FuzzTargets.names {
        for (index, seed) in FuzzTargets.seeds(for: name).enumerated() {
            let folder = arguments[2] + "/" + name
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(folder)/seed-\(index)", contents: Data(seed))
        }
    }
    exit(0)
}
guard arguments.count >= 2, FuzzTargets.names.contains(arguments[1]) else {
    FileHandle.standardError.write(
        Data("usage: ioc-fuzz TARGET [FILE|DIR ...]\ntargets: \(FuzzTargets.names.joined(separator: " "))\n".utf8))
    exit(64)
}

#if IOC_LIBFUZZER
    fuzzedTarget = arguments[1]
    // libFuzzer reads its own options (-max_total_time=, corpus folders) after the target's name.
    var passed = [arguments[0]] + arguments.dropFirst(2)
    var pointers: [UnsafeMutablePointer<CChar>?] = passed.map { strdup($0) } + [nil]
    var count = Int32(passed.count)
    let status = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var base = buffer.baseAddress
        return runFuzzerDriver(&count, &base) { data, size in
            FuzzTargets.run(fuzzedTarget, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        }
    }
    exit(status)
#else
    var files: [String] = []
    for path in arguments.dropFirst(2) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            FileHandle.standardError.write(Data("ioc-fuzz: no such file: \(path)\n".utf8))
            exit(66)
        }
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.sorted().map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        FuzzTargets.run(arguments[1], Array(data))
    }
    print("ioc-fuzz \(arguments[1]): \(files.count) inputs, no crash")
#endif
