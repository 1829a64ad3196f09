import Dispatch
import Foundation
import Glibc
public import IOCCore
import IOCStore
import Synchronization

/// `ioc dashboard`: the live screen, and the one-frame snapshot that tests and scripts use.
public struct Dashboard: Sendable {
    public var storePath: String
    public var refresh: Duration
    /// Dashboards from files; without any, the built-in list of targets.
    public var dashboards: [DashboardFile]
    /// The one to show first (by name); the first otherwise.
    public var selected: String?

    public init(
        storePath: String, refresh: Duration = .seconds(1), dashboards: [DashboardFile] = [], selected: String? = nil
    ) {
        self.storePath = storePath
        self.refresh = refresh
        self.dashboards = dashboards
        self.selected = selected
    }

    /// One frame, `width` × `height`, at time `now`: plain text, or with colours as SGR sequences.
    public func snapshot(width: Int, height: Int, now: Int64 = WallClock.nowMilliseconds(), ansi: Bool = false)
        -> String
    {
        var reader: StoreReader?
        var screens = dashboards.map { DashboardScreen(dashboard: $0, source: storePath) }
        let index = selected.flatMap { name in dashboards.firstIndex { $0.name == name } } ?? 0
        let canvas =
            screens.isEmpty
            ? frame(width: width, height: height, now: now, reader: &reader)
            : frame(&screens[index], width: width, height: height, now: now, reader: &reader)
        return ansi ? canvas.ansiText : canvas.plainText
    }

    /// A frame of a dashboard from a file.
    func frame(_ screen: inout DashboardScreen, width: Int, height: Int, now: Int64, reader: inout StoreReader?)
        -> Canvas
    {
        var canvas = Canvas(width: width, height: height)
        do {
            if reader == nil { reader = try StoreReader(path: storePath) }
        } catch {
            reader = nil
        }
        guard let reader else {
            screen.draw([], newest: nil, now: now, into: &canvas)
            return canvas
        }
        let data = screen.load(from: reader, now: now)
        let silences = ((try? reader.silences()) ?? []).compactMap(DashboardScreen.silence).filter {
            $0.active(at: now)
        }
        screen.draw(
            data, newest: DashboardScreen.newest(from: reader, now: now), now: now, into: &canvas,
            silenced: { labels in silences.contains { $0.matches(labels) } })
        return canvas
    }

    private func frame(width: Int, height: Int, now: Int64, reader: inout StoreReader?) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        var targets: [TargetStatus] = []
        var problem: String?
        do {
            if reader == nil { reader = try StoreReader(path: storePath) }
            if let reader { targets = try TargetStatus.load(from: reader, now: now) }
        } catch {
            reader = nil
            problem = "Waiting for the store: \(error)"
        }
        TargetsView(storePath: storePath).draw(targets, problem: problem, now: now, into: &canvas)
        return canvas
    }

    /// Runs the live dashboard on the terminal until `q`, Ctrl-C, SIGTERM or SIGHUP; the terminal is
    /// restored on every way out. Blocks the calling thread, which must not be a Swift concurrency thread.
    public func run() throws(DashboardError) {
        guard Terminal.isInteractive else {
            throw DashboardError("ioc dashboard needs a terminal; use --snapshot WxH to print one frame")
        }
        let events = DashboardEvents()
        let signalQueue = DispatchQueue(label: "ioc-dashboard-signals")
        var sources: [any DispatchSourceSignal] = []
        for (number, event) in [
            (SIGWINCH, DashboardEvent.resize), (SIGTERM, .quit), (SIGINT, .quit), (SIGHUP, .quit), (SIGCONT, .resume),
        ] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
            source.setEventHandler { events.post(event) }
            source.resume()
            sources.append(source)
        }
        defer {
            sources.forEach { $0.cancel() }
            for number in [SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGCONT] { signal(number, SIG_DFL) }
        }

        let terminal = Terminal()
        try terminal.enter()
        defer { terminal.restore() }
        let input = InputReader(events: events)
        input.start()
        defer { input.stop() }

        let noColor = getenv("NO_COLOR").map { String(cString: $0) }.map { !$0.isEmpty } ?? false
        var renderer = Renderer(colors: !noColor)
        var reader: StoreReader?
        let refreshMilliseconds = Int(max(100, refresh.inMilliseconds))
        while true {
            let (width, height) = terminal.size()
            let canvas = frame(width: width, height: height, now: WallClock.nowMilliseconds(), reader: &reader)
            terminal.write(renderer.render(canvas))
            let happened = events.wait(timeoutMilliseconds: refreshMilliseconds)
            if happened.contains(.quit) { return }
            if happened.contains(.suspend) {
                terminal.restore()
                // Stop like any job would on Ctrl-Z; SIGCONT brings us back here.
                kill(getpid(), SIGSTOP)
                try terminal.enter()
                renderer.invalidate()
            }
            if happened.contains(.resize) || happened.contains(.resume) { renderer.invalidate() }
        }
    }
}

enum DashboardEvent: Sendable, Hashable {
    case quit, resize, suspend, resume
}

/// Events from signal handlers and the input thread, waited for by the render loop.
final class DashboardEvents: Sendable {
    private let pending = Mutex(Set<DashboardEvent>())
    private let signal = DispatchSemaphore(value: 0)

    func post(_ event: DashboardEvent) {
        pending.withLock { _ = $0.insert(event) }
        signal.signal()
    }

    /// Waits until something happens or the timeout passes, and takes what happened.
    func wait(timeoutMilliseconds: Int) -> Set<DashboardEvent> {
        _ = signal.wait(timeout: .now() + .milliseconds(timeoutMilliseconds))
        return pending.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}

/// Reads keys on its own thread (terminal reads block) and turns them into events.
final class InputReader: Sendable {
    private let events: DashboardEvents
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(events: DashboardEvents) { self.events = events }

    func start() {
        running.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in self.loop() }
        thread.name = "ioc-dashboard-input"
        thread.start()
    }

    func stop() {
        guard running.exchange(false, ordering: .sequentiallyConsistent) else { return }
        stopped.wait()
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while running.load(ordering: .sequentiallyConsistent) {
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            // Poll with a timeout so that `stop()` is noticed without closing standard input.
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count == 0 {
                events.post(.quit)
                break
            }
            guard count > 0 else { continue }
            for byte in buffer[0..<count] {
                switch byte {
                case UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x03: events.post(.quit)
                case 0x1A: events.post(.suspend)
                case 0x0C: events.post(.resize)  // Ctrl-L redraws, as in less
                default: break
                }
            }
        }
        stopped.signal()
    }
}
