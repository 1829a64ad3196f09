import Glibc

/// The controlling terminal in the dashboard's mode: raw input, alternate screen, hidden cursor.
/// `restore()` undoes all of it, and every exit path of the dashboard calls it.
final class Terminal {
    private var original = termios()
    private var active = false

    /// Whether standard input and output are both a terminal.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Switches to raw mode and the alternate screen.
    func enter() throws(DashboardError) {
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw DashboardError("cannot read the terminal's settings: \(String(cString: strerror(errno)))")
        }
        var raw = original
        cfmakeraw(&raw)
        // Keep output post-processing off (cfmakeraw) but let reads return on every byte.
        raw.c_cc.6 = 1  // VMIN
        raw.c_cc.5 = 0  // VTIME
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else {
            throw DashboardError("cannot put the terminal in raw mode: \(String(cString: strerror(errno)))")
        }
        active = true
        CrashRestore.arm(original)
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
    }

    /// Leaves the alternate screen, shows the cursor and restores the settings found at `enter()`.
    func restore() {
        guard active else { return }
        active = false
        write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        CrashRestore.disarm()
    }

    /// Columns and rows, or 80×24 when the terminal does not say.
    func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else {
            return (80, 24)
        }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Writes all of `text`, retrying short writes and EINTR.
    func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// A problem that stops the dashboard, with words an operator can act on.
public struct DashboardError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The last line of defence: should the dashboard ever crash (a trap, a fault, an abort), the
/// terminal is given back in the state it was found in before the process dies, rather than left
/// in raw mode on the alternate screen. Only async-signal-safe calls run in the handler; the
/// previous handlers (Swift's backtracer) run after it.
enum CrashRestore {
    private static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE]
    /// Written once on the main thread before the handlers are installed; read only by them.
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var previous: [sigaction] = Array(repeating: sigaction(), count: 32)
    nonisolated(unsafe) private static var armed = false

    static func arm(_ settings: termios) {
        guard !armed else { return }
        saved = settings
        armed = true
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // A StaticString: nothing is allocated in a signal handler.
                let reset: StaticString = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\r\n"
                _ = Glibc.write(STDOUT_FILENO, reset.utf8Start, reset.utf8CodeUnitCount)
                tcsetattr(STDIN_FILENO, TCSANOW, &CrashRestore.saved)
                var before = CrashRestore.previous[Int(number)]
                sigaction(number, &before, nil)
                raise(number)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, &previous[Int(signal)])
        }
    }

    static func disarm() {
        guard armed else { return }
        armed = false
        for signal in signals { sigaction(signal, &previous[Int(signal)], nil) }
    }
}
