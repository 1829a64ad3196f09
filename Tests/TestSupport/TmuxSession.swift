import Foundation
import Glibc

/// A real terminal for a test: a tmux server of its own (on a socket in `directory`) running one
/// shell script in a window of the given size. `screen()` is what the terminal shows; `keys` types.
/// The server is ended on deinit.
public final class TmuxSession: Sendable {
    private let socket: String
    private let name: String
    private let server: pid_t

    /// Starts `script` (run by /bin/sh) in a `width`×`height` window.
    public init(running script: String, in directory: TemporaryDirectory, width: Int, height: Int) async throws {
        socket = directory.file("tmux.sock")
        name = "ioc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await TestProcess.run(
            "/usr/bin/tmux",
            ["-S", socket, "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "/bin/sh \(script)"])
        let pid = try await TestProcess.run("/usr/bin/tmux", ["-S", socket, "display-message", "-p", "#{pid}"]).stdout
        guard let server = pid_t(pid.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw POSIXError(.ESRCH)
        }
        self.server = server
    }

    deinit { kill(server, SIGTERM) }

    /// Runs a tmux command against this server; its output.
    @discardableResult
    public func tmux(_ arguments: [String]) async throws -> String {
        try await TestProcess.run("/usr/bin/tmux", ["-S", socket] + arguments).stdout
    }

    /// The window's text; with `escapes`, with the terminal's attributes as escape sequences.
    public func screen(escapes: Bool = false) async throws -> String {
        try await tmux(["capture-pane", "-p"] + (escapes ? ["-e"] : []) + ["-t", name])
    }

    /// Types keys (tmux's names: `Enter`, `Escape`, `Tab`, or text).
    public func keys(_ names: String...) async throws { try await keys(names) }

    public func keys(_ names: [String]) async throws { try await tmux(["send-keys", "-t", name] + names) }

    /// A tmux format (`#{pane_title}`) for the window.
    public func display(_ format: String) async throws -> String {
        try await tmux(["display-message", "-p", "-t", name, format])
    }

    public func resize(width: Int, height: Int) async throws {
        try await tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }
}
