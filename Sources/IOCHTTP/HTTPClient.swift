import CCurl
import Foundation
import IOCCore
import Synchronization

/// The project's one HTTP client: a libcurl multi handle driven by a dedicated thread, so that no
/// blocking C call ever runs on Swift's cooperative pool. The thread uses libcurl's multi-socket API
/// with epoll: each wake-up handles just the sockets that are ready, however many transfers are in
/// flight. Other threads only queue transfers and write to an eventfd to wake it.
///
/// `@unchecked Sendable`: the multi handle is used only by the transfer thread, and freed after that
/// thread has ended. Everything else shared is behind the mutex or is the eventfd.
public final class HTTPClient: @unchecked Sendable {
    private struct Queue {
        var pending: [Transfer] = []
        var closed = false
    }

    private let multi: UnsafeMutableRawPointer
    /// Written to wake the transfer thread (an eventfd: any thread may write it).
    private let wakeDescriptor: Int32
    private let queue = Mutex(Queue())
    private let thread = BackgroundThread(name: "ioc-http")
    /// Transfers beyond this many wait in `pending`, in order, until one finishes.
    private let maxInFlight: Int

    /// Starts the transfer thread. At most `maxInFlight` transfers run at once; more wait their turn.
    public init(maxInFlight: Int = 256) {
        HTTPClient.globalInit
        guard let multi = curl_multi_init() else { preconditionFailure("curl_multi_init failed: out of memory") }
        self.multi = multi
        self.maxInFlight = max(1, maxInFlight)
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeDescriptor >= 0, "eventfd failed: \(errno)")
        // The thread's closure holds `self` strongly until `shutdown` ends the loop.
        thread.start { [self] _ in self.run() }
    }

    /// libcurl's global initialisation is not thread-safe: a lazily initialised static runs it once.
    static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// Performs one transfer. Never throws: a failed transfer is a response with `failure` set.
    public func perform(_ request: HTTPRequest) async -> HTTPResponse {
        await withCheckedContinuation { continuation in
            start(request) { continuation.resume(returning: $0) }
        }
    }

    /// Performs one transfer and waits for it, blocking the calling thread: for code on threads of
    /// its own (the notifier, remote write, the command line), never on Swift's cooperative pool.
    @available(*, noasync, message: "use 'await perform(_:)'")
    public func performWaiting(_ request: HTTPRequest) -> HTTPResponse {
        let done = Completion()
        let result = Mutex<HTTPResponse?>(nil)
        start(request) { response in
            result.withLock { $0 = response }
            done.complete()
        }
        done.waitBlocking()
        return result.withLock { $0 }
            ?? HTTPResponse(status: nil, body: [], timings: HTTPTimings(), redirects: 0, failure: nil)
    }

    /// Starts one transfer and calls `completion` with its response. The completion runs on the
    /// transfer thread: it must be quick and must not block (hand heavy work to another queue).
    /// This is the probe engine's path: no task and no thread hop per transfer.
    public func start(_ request: HTTPRequest, completion: @escaping @Sendable (HTTPResponse) -> Void) {
        start([(request, completion)])
    }

    /// Starts several transfers with one wake-up of the transfer thread (the probes due together).
    public func start(_ transfers: [(HTTPRequest, @Sendable (HTTPResponse) -> Void)]) {
        guard !transfers.isEmpty else { return }
        let queued = transfers.map { Transfer(request: $0.0, completion: $0.1) }
        let (accepted, wasEmpty) = queue.withLock { queue -> (Bool, Bool) in
            guard !queue.closed else { return (false, false) }
            let wasEmpty = queue.pending.isEmpty
            queue.pending += queued
            return (true, wasEmpty)
        }
        if !accepted {
            for transfer in queued {
                transfer.complete(failure: HTTPFailure(kind: .other, message: "the HTTP client is shut down"))
            }
        } else if wasEmpty {
            // Transfers already waiting mean a wake-up is already on its way, or the thread is
            // waiting for room and takes the queue again as transfers finish.
            wake()
        }
    }

    /// Ends the transfer thread after the transfers in flight and queued finish, and frees libcurl's handles.
    public func shutdown() async {
        guard beginShutdown() else { return }
        await thread.finished()
        release()
    }

    /// `shutdown()` for synchronous callers on threads of their own (tests, the command line).
    @available(*, noasync, message: "use 'await shutdown()'")
    public func shutdown() {
        guard beginShutdown() else { return }
        thread.waitBlocking()
        release()
    }

    private func beginShutdown() -> Bool {
        let first = queue.withLock { queue -> Bool in
            defer { queue.closed = true }
            return !queue.closed
        }
        if first { wake() }
        return first
    }

    private func release() {
        curl_multi_cleanup(multi)
        close(wakeDescriptor)
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    /// The transfer thread's loop: add queued transfers while there is room, wait in epoll for ready
    /// sockets, the wake-up eventfd or libcurl's next timeout, let libcurl act on what is ready, and
    /// complete finished transfers.
    private func run() {
        let loop = SocketLoop(wakeDescriptor: wakeDescriptor)
        // Not retained: `loop` outlives every callback, which libcurl only makes from calls below.
        let context = Unmanaged.passUnretained(loop).toOpaque()
        _ = ccurl_multi_setopt_socket_function(multi, socketCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = ccurl_multi_setopt_timer_function(multi, timerCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context)
        var running: Int32 = 0
        var inFlight = 0
        // Finished transfers' handles, reset and kept for the next ones: a handle made and freed
        // for every probe was a fifth of libcurl's share of a probe's CPU.
        var idle: [UnsafeMutableRawPointer] = []
        defer { idle.forEach { curl_easy_cleanup($0) } }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let room = maxInFlight - inFlight
            let (newTransfers, closed, waiting) = queue.withLock { queue in
                let taken = Array(queue.pending.prefix(room))
                queue.pending.removeFirst(taken.count)
                return (taken, queue.closed, queue.pending.count)
            }
            for transfer in newTransfers {
                if let failure = transfer.configure(reusing: idle.popLast()) {
                    transfer.complete(failure: failure)
                } else {
                    curl_multi_add_handle(multi, transfer.easy)
                    inFlight += 1
                }
            }
            inFlight -= collectFinished(keepingHandlesIn: &idle)
            if closed && inFlight == 0 && waiting == 0 && newTransfers.isEmpty { break }
            let timeout = (waiting > 0 && inFlight < maxInFlight) ? 0 : loop.millisecondsUntilTimer(cap: 1000)
            let count = events.withUnsafeMutableBufferPointer {
                epoll_wait(loop.epoll, $0.baseAddress, Int32($0.count), timeout)
            }
            for event in events.prefix(Int(max(0, count))) {
                let descriptor = event.data.fd
                if descriptor == wakeDescriptor {
                    var value: UInt64 = 0
                    _ = read(wakeDescriptor, &value, 8)
                    continue
                }
                var mask: Int32 = 0
                if event.events & EPOLLIN.rawValue != 0 { mask |= CURL_CSELECT_IN }
                if event.events & EPOLLOUT.rawValue != 0 { mask |= CURL_CSELECT_OUT }
                if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { mask |= CURL_CSELECT_ERR }
                curl_multi_socket_action(multi, descriptor, mask, &running)
            }
            if loop.timerExpired() {
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
                // libcurl reports a timer only when it changes, and rounds it to milliseconds: one
                // that came due a little early found nothing expired and is not reported again.
                // While transfers run, look again shortly rather than lose their timeouts.
                if running > 0 { loop.setTimerIfUnset(milliseconds: 10) }
            }
        }
        close(loop.epoll)
    }

    /// Completes the transfers libcurl has finished, keeping up to `maxIdleHandles` of their handles
    /// (reset) in `idle`; returns how many.
    private func collectFinished(keepingHandlesIn idle: inout [UnsafeMutableRawPointer]) -> Int {
        var remaining: Int32 = 0
        var count = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var privateData: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &privateData)
            curl_multi_remove_handle(multi, easy)
            count += 1
            guard let privateData else { continue }
            // Balances the passRetained in `Transfer.configure`.
            let transfer = Unmanaged<Transfer>.fromOpaque(privateData).takeRetainedValue()
            transfer.finish(code: code)
            if let handle = transfer.releaseHandle() {
                if idle.count < HTTPClient.maxIdleHandles {
                    curl_easy_reset(handle)
                    idle.append(handle)
                } else {
                    curl_easy_cleanup(handle)
                }
            }
        }
        return count
    }

    /// Handles kept for reuse: enough for the probes that finish between two wake-ups.
    static let maxIdleHandles = 64
}

/// The transfer thread's epoll set and libcurl's timer, touched only on that thread (by the loop and
/// by libcurl's callbacks, which run inside the loop's calls into libcurl).
private final class SocketLoop {
    let epoll: Int32
    private var watched = Set<Int32>()
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` handled, on the monotonic clock in µs; nil for never.
    /// Kept finer than libcurl's milliseconds and never rounded down: a timer that fires even a
    /// fraction of a millisecond early finds nothing expired, and libcurl does not report the same
    /// timer again, so the transfer's timeout would be lost until its socket next woke.
    private var timerDeadline: UInt64?

    init(wakeDescriptor: Int32) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeDescriptor
        epoll_ctl(epoll, EPOLL_CTL_ADD, wakeDescriptor, &event)
    }

    /// libcurl's socket callback: watch `socket` for what libcurl asks, or stop watching it.
    func watch(_ socket: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            if watched.remove(socket) != nil { epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil) }
            return
        }
        var event = epoll_event()
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { event.events |= EPOLLIN.rawValue }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { event.events |= EPOLLOUT.rawValue }
        event.data.fd = socket
        let operation = watched.insert(socket).inserted ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        if epoll_ctl(epoll, operation, socket, &event) != 0 && operation == EPOLL_CTL_ADD {
            // A descriptor number reused by the kernel before libcurl told us to forget it.
            epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event)
        }
    }

    /// libcurl's timer callback: -1 cancels the timer, 0 asks for an immediate call.
    func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : SocketLoop.now() + UInt64(milliseconds) * 1000
    }

    func setTimerIfUnset(milliseconds: Int) {
        if timerDeadline == nil { setTimer(milliseconds: milliseconds) }
    }

    /// The wait until the timer, rounded up to whole milliseconds (epoll's unit), at most `cap`.
    func millisecondsUntilTimer(cap: Int32) -> Int32 {
        guard let deadline = timerDeadline else { return cap }
        let now = SocketLoop.now()
        return deadline <= now ? 0 : Int32(min(UInt64(cap), (deadline - now + 999) / 1000))
    }

    /// Whether the timer is due; if so it is cleared (libcurl sets it again as it needs).
    func timerExpired() -> Bool {
        guard let deadline = timerDeadline, deadline <= SocketLoop.now() else { return false }
        timerDeadline = nil
        return true
    }

    /// The monotonic clock in microseconds.
    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }
}

private let socketCallback: ccurl_socket_callback = { _, socket, what, userdata, _ in
    guard let userdata else { return 0 }
    Unmanaged<SocketLoop>.fromOpaque(userdata).takeUnretainedValue().watch(socket, what: what)
    return 0
}

private let timerCallback: ccurl_timer_callback = { _, milliseconds, userdata in
    guard let userdata else { return 0 }
    Unmanaged<SocketLoop>.fromOpaque(userdata).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
