import CCurl
import Glibc
import IOCCore

/// One easy handle and what it collects. Invariant that makes it `@unchecked Sendable`: it is created
/// on the caller's thread and, once queued, touched only by the client's transfer thread (libcurl's
/// callbacks run there too) until `finish` hands the result to the completion.
final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    private let completion: @Sendable (HTTPResponse) -> Void
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl writes its detailed error message here; it must outlive the handle, hence a raw allocation.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    fileprivate var body: [UInt8] = []
    fileprivate var bodyTooLarge = false

    init(request: HTTPRequest, completion: @escaping @Sendable (HTTPResponse) -> Void) {
        self.request = request
        self.completion = completion
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Configures `reused` (a handle reset with `curl_easy_reset`), or else a new easy handle; returns
    /// a failure instead when the request is unusable. On success the handle holds a retained
    /// reference to `self` as its private data, released when the client collects the finished
    /// transfer (HTTPClient.collectFinished).
    func configure(reusing reused: UnsafeMutableRawPointer? = nil) -> HTTPFailure? {
        guard let easy = reused ?? curl_easy_init() else {
            return HTTPFailure(kind: .other, message: "curl_easy_init failed")
        }
        self.easy = easy
        let milliseconds = max(1, request.timeout.inMilliseconds)
        var codes: [CURLcode] = [
            ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url),
            ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(milliseconds)),
            ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0),
            ccurl_easy_setopt_long(easy, CURLOPT_MAXREDIRS, request.maxRedirects),
            ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
            ccurl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"),
            ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, "ioc/\(IOCVersion.current)"),
            // Proxies come from configuration only, never silently from the environment.
            ccurl_easy_setopt_string(easy, CURLOPT_PROXY, ""),
            ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""),
            ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method == "GET" ? nil : request.method),
            ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, request.method == "HEAD" ? 1 : 0),
        ]
        if request.freshConnection {
            codes.append(ccurl_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1))
            codes.append(ccurl_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1))
            codes.append(ccurl_easy_setopt_abortive_close(easy))
        }
        if request.connectOnly { codes.append(ccurl_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)) }
        switch request.ipVersion {
        case .any: break
        case .v4: codes.append(ccurl_easy_setopt_long(easy, CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V4)))
        case .v6: codes.append(ccurl_easy_setopt_long(easy, CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V6)))
        }
        codes += configureTLS(easy, request.tls)
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        if let headerList { codes.append(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)) }
        if let body = request.body, !body.isEmpty {
            // COPYPOSTFIELDS makes libcurl keep its own copy, so no Swift buffer has to outlive this call.
            codes.append(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            codes.append(
                body.withUnsafeBytes {
                    ccurl_easy_setopt_pointer(
                        easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
                })
        }
        codes.append(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        codes.append(ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, transferWriteCallback))
        if let bad = codes.first(where: { $0 != CURLE_OK }) {
            return HTTPFailure(kind: .invalidRequest, message: String(cString: curl_easy_strerror(bad)))
        }
        let me = Unmanaged.passRetained(self).toOpaque()
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        return nil
    }

    private func configureTLS(_ easy: UnsafeMutableRawPointer, _ tls: TLSOptions) -> [CURLcode] {
        var codes = [
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1 : 0),
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2 : 0),
            ccurl_easy_setopt_long(easy, CURLOPT_CERTINFO, tls.collectCertificates ? 1 : 0),
        ]
        if let caFile = tls.caFile { codes.append(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        if let certificate = tls.certificateFile {
            codes.append(ccurl_easy_setopt_string(easy, CURLOPT_SSLCERT, certificate))
        }
        if let key = tls.keyFile { codes.append(ccurl_easy_setopt_string(easy, CURLOPT_SSLKEY, key)) }
        if let minimum = tls.minimumVersion {
            let version: Int =
                switch minimum {
                case .tls10: CURL_SSLVERSION_TLSv1_0
                case .tls11: CURL_SSLVERSION_TLSv1_1
                case .tls12: CURL_SSLVERSION_TLSv1_2
                case .tls13: CURL_SSLVERSION_TLSv1_3
                }
            codes.append(ccurl_easy_setopt_long(easy, CURLOPT_SSLVERSION, version))
        }
        return codes
    }

    /// Gives up the finished transfer's handle, for the client to reset and reuse.
    func releaseHandle() -> UnsafeMutableRawPointer? {
        defer { easy = nil }
        return easy
    }

    func complete(failure: HTTPFailure) {
        completion(HTTPResponse(status: nil, body: [], timings: HTTPTimings(), redirects: 0, failure: failure))
    }

    /// Reads the outcome and timings off the handle and resumes the waiting caller.
    func finish(code: CURLcode) {
        guard let easy else { return complete(failure: HTTPFailure(kind: .other, message: "no handle")) }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var redirects = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_REDIRECT_COUNT, &redirects)
        let timings = readTimings(easy)
        var response = HTTPResponse(
            status: status > 0 ? status : nil, body: body, timings: timings, redirects: redirects,
            failure: code == CURLE_OK ? nil : classify(code))
        var length: curl_off_t = -1
        if ccurl_easy_getinfo_off_t(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK, length >= 0 {
            response.contentLength = Int64(length)
        }
        var version = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
        response.httpVersion =
            switch version {
            case CURL_HTTP_VERSION_1_0: 1.0
            case CURL_HTTP_VERSION_1_1: 1.1
            case CURL_HTTP_VERSION_2_0: 2
            case CURL_HTTP_VERSION_3: 3
            default: 0
            }
        var type: UnsafeMutablePointer<CChar>?
        if ccurl_easy_getinfo_string(easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK, let type {
            response.contentType = String(cString: type)
        }
        response.usedTLS = timings.tls > 0 || request.url.lowercased().hasPrefix("https:")
        if request.tls.collectCertificates { response.certificateExpiries = certificateExpiries(easy) }
        completion(response)
    }

    /// The "Expire date" of every certificate libcurl saw in the peer's chain.
    private func certificateExpiries(_ easy: UnsafeMutableRawPointer) -> [Int64] {
        var pointer: UnsafeMutableRawPointer?
        guard ccurl_easy_getinfo_pointer(easy, CURLINFO_CERTINFO, &pointer) == CURLE_OK, let pointer else { return [] }
        let info = pointer.assumingMemoryBound(to: curl_certinfo.self).pointee
        guard info.num_of_certs > 0, let chain = info.certinfo else { return [] }
        var expiries: [Int64] = []
        for index in 0..<Int(info.num_of_certs) {
            var item = chain[index]
            while let entry = item {
                let text = String(cString: entry.pointee.data)
                if text.hasPrefix("Expire date:") {
                    let date = curl_getdate(String(text.dropFirst("Expire date:".count)), nil)
                    if date > 0 { expiries.append(Int64(date)) }
                }
                item = entry.pointee.next
            }
        }
        return expiries
    }

    private func readTimings(_ easy: UnsafeMutableRawPointer) -> HTTPTimings {
        // Phases are differences of libcurl's whole microseconds, taken before they become seconds:
        // a difference of two decimal seconds is not a decimal (0.000234 - 0.000012 is
        // 0.00022199999999999998), and the store keeps such a value in 7 bytes, not 1 or 2.
        func microseconds(_ info: CURLINFO) -> Int64 {
            var value: curl_off_t = 0
            _ = ccurl_easy_getinfo_off_t(easy, info, &value)
            return Int64(value)
        }
        func seconds(_ microseconds: Int64) -> Double { Double(max(0, microseconds)) / 1e6 }
        let resolved = microseconds(CURLINFO_NAMELOOKUP_TIME_T)
        let connected = microseconds(CURLINFO_CONNECT_TIME_T)
        let handshaken = microseconds(CURLINFO_APPCONNECT_TIME_T)
        let firstByte = microseconds(CURLINFO_STARTTRANSFER_TIME_T)
        let total = microseconds(CURLINFO_TOTAL_TIME_T)
        var timings = HTTPTimings()
        timings.resolve = seconds(resolved)
        timings.connect = seconds(connected - resolved)
        timings.tls = handshaken > 0 ? seconds(handshaken - connected) : 0
        let ready = max(connected, handshaken)
        timings.processing = firstByte > 0 ? seconds(firstByte - ready) : 0
        timings.transfer = firstByte > 0 ? seconds(total - firstByte) : 0
        timings.total = seconds(total)
        return timings
    }

    private func classify(_ code: CURLcode) -> HTTPFailure {
        let detail = String(
            decoding: UnsafeRawBufferPointer(start: errorBuffer, count: strlen(errorBuffer)), as: UTF8.self)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        if bodyTooLarge {
            return HTTPFailure(kind: .bodyTooLarge, message: "response body exceeds \(request.maxBodyBytes) bytes")
        }
        let kind: HTTPFailure.Kind
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .dns
        case CURLE_COULDNT_CONNECT: kind = .connect
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
        case CURLE_TOO_MANY_REDIRECTS: kind = .tooManyRedirects
        default: kind = .other
        }
        return HTTPFailure(kind: kind, message: message)
    }

    /// Called by libcurl's write callback with the next piece of the body.
    fileprivate func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= request.maxBodyBytes else {
            bodyTooLarge = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }
}

/// libcurl's write callback: copies a piece of the body into the transfer, or refuses it (returning
/// a short count, which makes libcurl end the transfer) once the size limit is passed.
private let transferWriteCallback: ccurl_write_callback = { data, size, count, userdata in
    guard let data, let userdata else { return 0 }
    let length = size * count
    // Not retained here: the handle's private reference keeps the transfer alive while libcurl runs.
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.append(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}
