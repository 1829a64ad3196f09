import Foundation
import Glibc
import IOCCore
import IOCStore
import Synchronization
import TestSupport
import Testing

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let bytes = Array(path.utf8)
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Everything received so far, one message each.
    var messages: [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { break }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            received.withLock { $0.append(message) }
        }
        return received.withLock { $0 }
    }
}

@Suite struct LifecycleTests {
    /// Start, reload with a good configuration (a new target is probed), reload with a broken one (the
    /// running one stays, the error is logged), SIGTERM (a clean exit, nothing lost), with systemd's
    /// notifications in order on a test socket.
    @Test func reloadsAndStopsWithNotificationsInOrder() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let other = ClosedPort()
            defer { withExtendedLifetime(other) {} }
            let directory = try TemporaryDirectory()
            let notify = try NotifySocket(path: directory.file("notify.sock"))
            let config = try directory.write(
                "iocd.yaml", "storage: {path: ioc.db}\nprobe_files: [probes.yaml]\nhttp: {listen: 'off'}\n")
            func probes(_ ports: [Int]) -> String {
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    targets:\n"
                    + ports.map { "      - url: http://127.0.0.1:\($0)/\n" }.joined()
            }
            let probeFile = try directory.write("probes.yaml", probes([closed.number]))
            let store = directory.file("ioc.db")
            let daemon = try TestProcess(
                try BuiltProduct.path("iocd"), ["--config", config],
                environment: ProcessInfo.processInfo.environment.merging([
                    "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000",
                ]) { $1 })
            func targets() -> Set<String> {
                let series =
                    (try? StoreReader(path: store).select(
                        [try LabelMatcher("__name__", .equal, "probe_success")], from: .min, through: .max)) ?? []
                return Set(series.compactMap { $0.labels["instance"] })
            }
            #expect(await waitUntil(timeout: .seconds(15)) { notify.messages.contains { $0.hasPrefix("READY=1") } })
            #expect(await waitUntil(timeout: .seconds(15)) { targets().count == 1 }, "\(daemon.standardError)")

            // A good reload: the new target appears.
            try probes([closed.number, other.number]).write(toFile: probeFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(await waitUntil(timeout: .seconds(15)) { targets().count == 2 }, "\(daemon.standardError)")
            #expect(daemon.standardError.contains("configuration reloaded"))

            // A broken reload: logged, and the running configuration goes on probing both.
            try "groups:\n  - name: portal\n    targets:\n      - url: http://x/\n        intervl: 1s\n".write(
                toFile: probeFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(
                await waitUntil(timeout: .seconds(10)) { daemon.standardError.contains("configuration not reloaded") })
            #expect(daemon.standardError.contains("probes.yaml:5:9: unknown key 'intervl'"), "\(daemon.standardError)")
            let before = try StoreReader(path: store).select(
                [try LabelMatcher("__name__", .equal, "probe_success")], from: .min, through: .max
            ).reduce(0) { $0 + $1.samples.count }
            #expect(
                try await waitUntil(timeout: .seconds(10)) {
                    try StoreReader(path: store).select(
                        [try LabelMatcher("__name__", .equal, "probe_success")], from: .min, through: .max
                    ).reduce(0) { $0 + $1.samples.count } >= before + 4
                })

            // SIGTERM: a clean exit; every sample the log counted as written is in the file.
            daemon.signal(SIGTERM)
            let status = await daemon.exitStatus()
            #expect(status == 0, "status \(status.map(String.init) ?? "none: still running"): \(daemon.standardError)")
            #expect(daemon.standardError.contains("iocd stopped"))
            let kinds = notify.messages.map { $0.split(separator: "\n").first.map(String.init) ?? "" }
            let compact = kinds.filter { $0 != "WATCHDOG=1" }
            #expect(
                compact == ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], "\(kinds)")
            #expect(notify.messages.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
            // The watchdog was fed while probing and writing went on.
            #expect(kinds.contains("WATCHDOG=1"), "\(kinds)")
            #expect(notify.messages.contains { $0.contains("STATUS=configuration not reloaded") })
        }
    }

    /// iocd draws no dashboard: a broken dashboard file neither stops it from starting nor blocks a
    /// reload. `ioc check` reports the file and line (exit 78); `ioc check --daemon`, the unit's
    /// ExecStartPre, reports it as a warning and passes.
    @Test func aBrokenDashboardFileNeitherStopsNorBlocksIocd() async throws {
        let closed = ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "iocd.yaml", "storage: {path: ioc.db}\nprobe_files: [probes.yaml]\nhttp: {listen: 'off'}\n")
        try directory.write(
            "probes.yaml",
            "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    targets:\n"
                + "      - url: http://127.0.0.1:\(closed.number)/\n")
        let broken = try directory.write(
            "dashboards/broken.yaml",
            "name: broken\ntitle: Broken\nrows:\n  - panels:\n      - titel: typo\n        widget: stat\n        query: up\n"
        )
        let ioc = try BuiltProduct.path("ioc")
        let check = try await TestProcess.run(ioc, ["check", "--config", config])
        #expect(check.status == 78)
        #expect(check.stderr.contains("\(broken):5:"), "\(check.stderr)")
        let forDaemon = try await TestProcess.run(ioc, ["check", "--daemon", "--config", config])
        #expect(forDaemon.status == 0, "\(forDaemon.stderr)")
        #expect(forDaemon.stderr.contains("warning: \(broken):5:"), "\(forDaemon.stderr)")

        let notify = try NotifySocket(path: directory.file("notify.sock"))
        let daemon = try TestProcess(
            try BuiltProduct.path("iocd"), ["--config", config], environment: ["NOTIFY_SOCKET": notify.path])
        #expect(
            await waitUntil(timeout: .seconds(15)) { notify.messages.contains { $0.hasPrefix("READY=1") } },
            "\(daemon.standardError)")
        daemon.signal(SIGHUP)
        #expect(
            await waitUntil(timeout: .seconds(15)) { daemon.standardError.contains("configuration reloaded") },
            "\(daemon.standardError)")
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0, "\(daemon.standardError)")
    }
}
