import Dispatch
import Foundation
import Glibc
public import IOCCore
import IOCQuery
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
    /// Where the figures come from instead of the store (`--source`), when set.
    public var remote: (@Sendable () throws -> any DashboardBackend)?
    /// Values of the dashboards' variables to start with (`--var province=Huế`).
    public var values: [String: String] = [:]
    /// Inhibitions and maintenance windows of the daemon's configuration (`DashboardScreen.muting`).
    public var muting: (@Sendable (Labels, [Labels], Int64) -> String?)?
    /// The language of the screen's words (`Language.resolve`: IOC_LANG, the locale, iocd.yaml).
    public var language = Language.vi

    /// A screen of each dashboard, as this dashboard starts them.
    func screens() -> [DashboardScreen] {
        dashboards.map { file in
            var screen = DashboardScreen(dashboard: file, source: sourceName, values: values, language: language)
            screen.muting = muting
            return screen
        }
    }
    /// What the header names as the data's source.
    public var sourceName: String { remoteName ?? storePath }
    public var remoteName: String?

    public init(
        storePath: String, refresh: Duration = .seconds(1), dashboards: [DashboardFile] = [], selected: String? = nil,
        language: Language = .vi
    ) {
        self.storePath = storePath
        self.language = language
        self.refresh = refresh
        self.dashboards = dashboards
        self.selected = selected
    }

    /// One frame, `width` × `height`, at time `now`: plain text, or with colours as SGR sequences.
    public func snapshot(width: Int, height: Int, now: Int64 = WallClock.nowMilliseconds(), ansi: Bool = false)
        -> String
    {
        var reader: StoreReader?
        var screens = screens()
        let index = selected.flatMap { name in dashboards.firstIndex { $0.name == name } } ?? 0
        let canvas =
            screens.isEmpty
            ? frame(width: width, height: height, now: now, reader: &reader)
            : frame(&screens[index], width: width, height: height, now: now, reader: &reader)
        return ansi ? canvas.ansiText : canvas.plainText
    }

    /// The remote source, or the local store (opened once into `reader`); nil while it cannot be read.
    func backend(_ reader: inout StoreReader?) -> (any DashboardBackend)? {
        if let remote { return try? remote() }
        if reader == nil { reader = try? StoreReader(path: storePath) }
        return reader.map { LocalBackend(reader: $0) }
    }

    /// A frame of a dashboard from a file.
    func frame(_ screen: inout DashboardScreen, width: Int, height: Int, now: Int64, reader: inout StoreReader?)
        -> Canvas
    {
        var canvas = Canvas(width: width, height: height, language: language)
        guard let reader = backend(&reader) else {
            screen.draw([], newest: nil, now: now, into: &canvas)
            return canvas
        }
        screen.loadVariables(from: reader, now: now)
        let data = screen.load(from: reader, now: now)
        let silences = ((try? reader.silences()) ?? []).filter {
            $0.isActive(at: now)
        }
        screen.draw(
            data, freshness: Freshness.read(from: reader, now: now), now: now, into: &canvas,
            silenced: { labels in silences.contains { $0.silences(labels) } })
        return canvas
    }

    private func frame(width: Int, height: Int, now: Int64, reader: inout StoreReader?) -> Canvas {
        var canvas = Canvas(width: width, height: height, language: language)
        var targets: [TargetStatus] = []
        var problem: String?
        do {
            if reader == nil { reader = try StoreReader(path: storePath) }
            if let reader { targets = try TargetStatus.load(from: reader, now: now) }
        } catch {
            reader = nil
            problem = language.localized("dash.waiting_store", ["error": language.describe(error)])
        }
        TargetsView(storePath: storePath, language: language).draw(targets, problem: problem, now: now, into: &canvas)
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

        var renderer = Renderer(depth: .from(ProcessInfo.processInfo.environment))
        if dashboards.isEmpty {
            try runTargets(terminal: terminal, events: events, renderer: &renderer)
        } else {
            try runDashboards(terminal: terminal, events: events, renderer: &renderer)
        }
    }

    /// The built-in list of targets, when there are no dashboard files.
    private func runTargets(terminal: Terminal, events: DashboardEvents, renderer: inout Renderer)
        throws(DashboardError)
    {
        var reader: StoreReader?
        let refreshMilliseconds = Int(max(100, refresh.inMilliseconds))
        while true {
            let (width, height) = terminal.size()
            let canvas = frame(width: width, height: height, now: WallClock.nowMilliseconds(), reader: &reader)
            terminal.write(renderer.render(canvas))
            for event in events.wait(timeoutMilliseconds: refreshMilliseconds) {
                switch event {
                case .quit, .key(.character("q")), .key(.control("c")): return
                case .suspend, .key(.control("z")): try suspend(terminal, &renderer)
                case .resize, .resume, .key(.control("l")): renderer.invalidate()
                default: break
                }
            }
        }
    }

    private func suspend(_ terminal: Terminal, _ renderer: inout Renderer) throws(DashboardError) {
        terminal.restore()
        // Stop like any job would on Ctrl-Z; SIGCONT brings us back here.
        kill(getpid(), SIGSTOP)
        try terminal.enter()
        renderer.invalidate()
    }

    /// The dashboards from files: data loaded every `refresh` (not while paused), the screen drawn
    /// when something changed, only the cells that changed written.
    private func runDashboards(terminal: Terminal, events: DashboardEvents, renderer: inout Renderer)
        throws(DashboardError)
    {
        var app = DashboardApp(
            screens: screens(), selected: selected)
        var reader: StoreReader?
        var freshness = Freshness(newest: nil)
        var silences: [Silence] = []
        // Each panel is loaded on its own interval (charts less often); the header's clock, the age of
        // the newest data and the silences every `refresh`.
        var loadedAt: [[Int64]] = []
        var nextPanel = Int64.min
        var checkedAt = Int64.min
        var needLoad = true
        let refreshMilliseconds = Int64(max(100, refresh.inMilliseconds))
        while true {
            let now = WallClock.nowMilliseconds()
            if needLoad { loadedAt = [] }
            if needLoad || (!app.shown.paused && (now >= nextPanel || now - checkedAt >= refreshMilliseconds)) {
                if let reader = backend(&reader) {
                    silences = ((try? reader.silences()) ?? [])
                        .filter { $0.isActive(at: now) }
                    app.shown.loadVariables(from: reader, now: now)
                    nextPanel = app.shown.refresh(
                        &app.data, loadedAt: &loadedAt, from: reader, now: now, silences: silences)
                    app.followSelection()
                    freshness = Freshness.read(from: reader, now: now)
                } else {
                    app.data = []
                    freshness = Freshness(newest: nil)
                    nextPanel = now + refreshMilliseconds
                }
                checkedAt = now
                needLoad = false
            }
            let (width, height) = terminal.size()
            var canvas = Canvas(width: width, height: height, language: language)
            app.draw(
                &canvas, freshness: freshness, now: now,
                silenced: { labels in silences.contains { $0.silences(labels) } })
            terminal.write(renderer.render(canvas))
            let due = min(nextPanel, checkedAt + refreshMilliseconds)
            let wait = app.shown.paused ? 60_000 : Int(max(10, due - WallClock.nowMilliseconds()))
            for event in events.wait(timeoutMilliseconds: wait) {
                switch event {
                case .quit: return
                case .suspend: try suspend(terminal, &renderer)
                case .resize, .resume: renderer.invalidate()
                case .key(let key):
                    for action in app.handle(key) {
                        switch action {
                        case .quit: return
                        case .suspend: try suspend(terminal, &renderer)
                        case .redraw: if key == .control("l") { renderer.invalidate() }
                        case .refresh: needLoad = true
                        case .silence(let matchers, let duration, let comment):
                            app.message = addSilence(matchers, duration: duration, comment: comment)
                            needLoad = true
                        }
                    }
                }
            }
        }
    }

    /// Adds a silence from the prompt; returns what to tell the operator.
    private func addSilence(_ matchers: String, duration: Duration, comment: String) -> String {
        let now = WallClock.nowMilliseconds()
        let environment = ProcessInfo.processInfo.environment
        // Checked as the notifier will read it: a silence it could not parse would silence nothing
        // while the screen said otherwise.
        guard let parsed = Selector.matchers(parsing: matchers) else {
            return "cannot add the silence: its matchers do not parse: \(matchers)"
        }
        do {
            try SilenceStore(path: storePath).add(
                Silence(
                    id: UUID().uuidString.lowercased(), matchers: parsed, text: matchers, startsAt: now,
                    endsAt: now + duration.inMilliseconds,
                    createdBy: environment["SUDO_USER"] ?? environment["USER"] ?? "dashboard",
                    comment: comment))
            return "silenced for \(duration.prometheusString): \(matchers)"
        } catch {
            return "cannot add the silence: \(error)"
        }
    }
}

enum DashboardEvent: Sendable, Equatable {
    case quit, resize, suspend, resume
    case key(Key)
}

/// Events from signal handlers and the input thread, in order, waited for by the render loop.
///
/// `@unchecked Sendable`: `pending` is guarded by `condition`.
final class DashboardEvents: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [DashboardEvent] = []

    func post(_ event: DashboardEvent) {
        condition.lock()
        pending.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Waits until something happens or the timeout passes, and takes what happened.
    func wait(timeoutMilliseconds: Int) -> [DashboardEvent] {
        let deadline = Date(timeIntervalSinceNow: Double(max(0, timeoutMilliseconds)) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && condition.wait(until: deadline) {}
        defer { pending.removeAll() }
        return pending
    }
}

/// Reads keys on its own thread (terminal reads block) and turns them into events. The thread
/// sleeps in poll(2) on standard input and a pipe that `stop()` writes, so stopping is at once.
final class InputReader: Sendable {
    private let events: DashboardEvents
    private let thread = BackgroundThread(name: "ioc-dashboard-input")
    /// Read and write ends of the pipe that wakes the thread to stop.
    private let stopPipe: (read: Int32, write: Int32)

    init(events: DashboardEvents) {
        self.events = events
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        stopPipe = (ends[0], ends[1])
    }

    deinit {
        close(stopPipe.read)
        close(stopPipe.write)
    }

    func start() { thread.start { [self] thread in loop(thread) } }

    func stop() {
        thread.requestStop()
        var one: UInt8 = 1
        _ = write(stopPipe.write, &one, 1)
        thread.waitBlocking()
    }

    private func loop(_ thread: BackgroundThread) {
        var buffer = [UInt8](repeating: 0, count: 256)
        var decoder = KeyDecoder()
        while !thread.isStopping {
            var descriptors = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0),
            ]
            // A sequence cut short (a lone ESC) is waited for 50 ms before it counts as a key.
            guard poll(&descriptors, 2, decoder.isWaiting ? 50 : -1) > 0 else {
                for key in decoder.flush() { events.post(.key(key)) }
                continue
            }
            guard descriptors[1].revents == 0 else { return }
            guard descriptors[0].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count == 0 {
                events.post(.quit)
                return
            }
            guard count > 0 else {
                // Interrupted or nothing after all: read again; a terminal gone: quit.
                if errno == EINTR || errno == EAGAIN { continue }
                events.post(.quit)
                return
            }
            for key in decoder.decode(Array(buffer[0..<count])) { events.post(.key(key)) }
        }
    }
}
