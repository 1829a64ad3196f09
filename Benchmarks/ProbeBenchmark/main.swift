// ioc-bench: the probe engine's figures for BENCHMARKS.md. `make bench` runs `ioc-bench all`.
//
//   ioc-bench all [--runs 3] [--duration 30]    every figure, each run in a fresh process, medians
//   ioc-bench probes --url BASE --targets N --interval 5 --duration 30 --warmup 6
//   ioc-bench client --url BASE --transfers N --concurrency C
//   ioc-bench serve                               the simulator, until standard input closes
//   ioc-bench chunks [--series 1000] [--samples 480]   bytes per sample of the chunk codec
//   ioc-bench ingest [--series 10000] [--hours 26]     the store alone: ingest, bytes, queries
//   ioc-bench close [--series 70000]                   an hour's close of 5,000 probe targets' series
//   ioc-bench history [--series 100] [--days 90]       the store after months: restart, 30-day queries
//   ioc-bench promql [--runs 9] [--only NAME]          the query engine: the issue 5 queries over the store
//   ioc-bench rules [--cycles 20] [--prometheus]       1,000 alert rules over 10,000 series, per cycle (and Prometheus)
//   ioc-bench dashboard [--seconds 20]                 the overview's frame time, bytes, and idle CPU
//   ioc-bench peers [--series 5000] [--hours 2] [--runs 5] [--only TEXT] [--queries FILE] [--keep] [--compare] [--grouped]: iocd, Prometheus, VictoriaMetrics
//   ioc-bench parse                                    microseconds to parse each of the peers queries
//   ioc-bench crashload --path P [--series 200] [--start MS]   writes until killed (for a test)
//
// CPU time is this process's own (getrusage), so the simulator, which runs in a child process, is
// not counted; it includes libcurl, the scheduler, the probe results and the store's writer thread.
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

/// The header above, for `--help` and a command it does not know.
let usage = """
    usage: ioc-bench [all|probes|client|serve|chunks|close|ingest|history|promql|rules|scorecard|dashboard|peers|parse|regex|crashload] [options]
    (run from the repository: some commands read its rules/ and dashboards/; see BENCHMARKS.md)
    """

/// Every option some command reads: any other is refused rather than ignored (`peers --help` ran
/// the whole benchmark).
let knownOptions: Set<String> = [
    "baseline-values", "batch-ms", "compare", "concurrency", "cycles", "days", "duration", "grouped", "hours",
    "interval", "keep",
    "only",
    "path", "paths", "prometheus", "queries", "readers", "rule-times", "rules", "runs", "samples", "seconds", "series",
    "sink", "start", "targets", "transfers", "url", "warmup",
]
let commandArguments = CommandLine.arguments.dropFirst()
if commandArguments.contains(where: { $0 == "-h" || $0 == "--help" }) {
    print(usage)
    exit(0)
}
if let unknown = commandArguments.first(where: { $0.hasPrefix("--") && !knownOptions.contains(String($0.dropFirst(2))) }
) {
    FileHandle.standardError.write(Data("ioc-bench: no option '\(unknown)'\n\(usage)\n".utf8))
    exit(64)
}

do {
    switch commandArguments.first ?? "all" {
    case "regex": try regex()
    case "ingest": try ingest()
    case "history": try history()
    case "crashload": try crashload()
    case "promql": try promql()
    case "peers": try peers()
    case "parse": try parse()
    case "rules": try rules()
    case "scorecard": try scorecard()
    case "dashboard": try dashboard()
    case "chunks": chunks()
    case "close": try close()
    case "serve": try await serve()
    case "client": await client()
    case "probes": try await probes()
    case "all": try all()
    case "-h", "--help", "help": print(usage)
    case let other:
        FileHandle.standardError.write(Data("ioc-bench: no command '\(other)'\n\(usage)\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("ioc-bench: \(error)\n".utf8))
    exit(1)
}
