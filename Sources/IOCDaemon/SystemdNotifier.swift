import Foundation
import Glibc

/// systemd's notification protocol without libsystemd: datagrams to `$NOTIFY_SOCKET` (a path, or
/// an abstract socket when it starts with `@`). Without the variable (not under systemd, or a unit
/// that is not `Type=notify`), every call does nothing.
struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// The watchdog interval systemd asks for (`WATCHDOG_USEC`), if any.
    let watchdog: Duration?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0, pidMatches {
            watchdog = .microseconds(microseconds)
        } else {
            watchdog = nil
        }
    }

    /// Sends `state` (`READY=1`, `STATUS=...`, lines joined by newlines); false when it could not.
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
            if path.count < buffer.count { buffer[path.count] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
        return sent == bytes.count
    }

    /// `RELOADING=1` with the monotonic time in microseconds, as `Type=notify-reload` expects.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        notify("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }
}
