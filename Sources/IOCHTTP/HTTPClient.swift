import CCurl
import Foundation
import Synchronization

/// The project's one HTTP client: a libcurl multi handle driven by a dedicated thread, so that no
/// blocking C call ever runs on Swift's cooperative pool. Callers `await` a transfer; the only
/// cross-thread call into libcurl is `curl_multi_wakeup`.
///
/// `@unchecked Sendable`: the multi handle is used only by the transfer thread, except for
/// `curl_multi_wakeup` (documented as callable from any thread) and `curl_multi_cleanup`, which runs
/// after the thread has ended. Everything else shared is behind the mutex.
public final class HTTPClient: @unchecked Sendable {
    private struct Queue {
        var pending: [Transfer] = []
        var closed = false
        var waitingForSlot: [CheckedContinuation<Void, Never>] = []
    }

    private let multi: UnsafeMutableRawPointer
    private let queue = Mutex(Queue())
    private let finished = DispatchSemaphore(value: 0)
    private let slots: Semaphore

    /// Starts the transfer thread. At most `maxInFlight` transfers run at once; more wait their turn.
    public init(maxInFlight: Int = 256) {
        HTTPClient.globalInit
        guard let multi = curl_multi_init() else { preconditionFailure("curl_multi_init failed: out of memory") }
        self.multi = multi
        self.slots = Semaphore(maxInFlight)
        // Unmanaged is not needed: the thread's closure holds `self` strongly until `shutdown` ends it.
        let thread = Thread { [self] in self.run() }
        thread.name = "ioc-http"
        thread.start()
    }

    /// libcurl's global initialisation is not thread-safe: a lazily initialised static runs it once.
    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// Performs one transfer. Never throws: a failed transfer is a response with `failure` set.
    public func perform(_ request: HTTPRequest) async -> HTTPResponse {
        await slots.acquire()
        defer { slots.release() }
        return await withCheckedContinuation { continuation in
            let transfer = Transfer(request: request, continuation: continuation)
            let accepted = queue.withLock { queue -> Bool in
                guard !queue.closed else { return false }
                queue.pending.append(transfer)
                return true
            }
            if accepted {
                curl_multi_wakeup(multi)
            } else {
                continuation.resume(
                    returning: HTTPResponse(
                        status: nil, body: [], timings: HTTPTimings(), redirects: 0,
                        failure: HTTPFailure(kind: .other, message: "the HTTP client is shut down")))
            }
        }
    }

    /// Ends the transfer thread after the transfers in flight finish, and frees libcurl's handles.
    public func shutdown() {
        let first = queue.withLock { queue -> Bool in
            defer { queue.closed = true }
            return !queue.closed
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        finished.wait()
        curl_multi_cleanup(multi)
    }

    /// The transfer thread's loop: add new transfers, drive libcurl, complete finished ones, sleep in poll.
    private func run() {
        var running: Int32 = 0
        while true {
            let (newTransfers, closed) = queue.withLock { queue in
                defer { queue.pending.removeAll() }
                return (queue.pending, queue.closed)
            }
            for transfer in newTransfers {
                if let failure = transfer.configure() {
                    transfer.complete(failure: failure)
                } else {
                    curl_multi_add_handle(multi, transfer.easy)
                }
            }
            curl_multi_perform(multi, &running)
            collectFinished()
            if closed && running == 0 {
                let stillPending = queue.withLock { $0.pending.isEmpty }
                if stillPending { break }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        finished.signal()
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var privateData: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &privateData)
            curl_multi_remove_handle(multi, easy)
            guard let privateData else { continue }
            // Balances the passRetained in `Transfer.configure`.
            let transfer = Unmanaged<Transfer>.fromOpaque(privateData).takeRetainedValue()
            transfer.finish(code: code)
        }
    }
}

/// A counting semaphore for async callers, bounding the transfers in flight.
final class Semaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(available: max(1, count))) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
