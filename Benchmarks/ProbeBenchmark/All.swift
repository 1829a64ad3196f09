import Foundation
import Glibc
import IOCAlert
import IOCCore
import IOCReport
import IOCDashboard
import IOCHTTP
import IOCProbe
import IOCQuery
import IOCSimulator
import IOCStore
import Synchronization

func all() throws {
    let runs = Int(option("runs", "3")) ?? 3
    let duration = option("duration", "30")
    let server = Process()
    server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    server.arguments = ["serve"]
    let serverInput = Pipe()
    let serverOutput = Pipe()
    server.standardInput = serverInput
    server.standardOutput = serverOutput
    try server.run()
    let portLine = serverOutput.fileHandleForReading.availableData
    guard let port = Int(String(decoding: portLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    else {
        throw BenchmarkError(description: "the simulator did not start")
    }
    let base = "http://127.0.0.1:\(port)"
    print("Simulator (demo world) in a child process at \(base); \(runs) runs of each, medians shown.\n")
    func report(_ title: String, _ arguments: [String], _ keys: [String]) throws {
        var values: [String: [Double]] = [:]
        for run in 1...runs {
            let result = try child(arguments + ["--url", base])
            let line = keys.map { "\($0)=\(result[$0].map { "\($0)" } ?? "?")" }.joined(separator: " ")
            print("  run \(run): \(line)")
            fflush(nil)
            for key in keys {
                if let number = result[key] as? NSNumber { values[key, default: []].append(number.doubleValue) }
            }
        }
        print(
            "\(title)\n  median: "
                + keys.map { "\($0)=\(String(format: "%.1f", median(values[$0] ?? [])))" }.joined(separator: " ")
                + "\n")
        fflush(nil)
    }
    let probeKeys = [
        "cpu_us_per_probe", "lateness_p50_ms", "lateness_p99_ms", "lateness_max_ms", "peak_rss_mib", "probes", "failed",
        "samples_dropped",
    ]
    for (paths, what) in [
        ("status", "endpoints answering at once"), ("health", "health endpoints answering after 12-90 ms"),
    ] {
        try report(
            "baseline, \(what): libcurl transfers through HTTPClient alone, 20 at a time, fresh connection each",
            ["client", "--transfers", "20000", "--concurrency", "20", "--paths", paths],
            ["cpu_us_per_transfer", "failed"])
        for targets in ["2000", "5000"] {
            try report(
                "\(targets) targets at 5 s for \(duration) s, \(what), probes written to the store",
                ["probes", "--targets", targets, "--interval", "5", "--duration", duration, "--paths", paths], probeKeys
            )
        }
    }
    serverInput.fileHandleForWriting.closeFile()
    server.waitUntilExit()
}
