import ArgumentParser
import Foundation
import IOCConfig
import IOCCore
import IOCDashboard
import IOCHTTP
import IOCProbe

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: Message(
            vi:
                "Đo ngay một URL (hoặc, với --tcp, một HOST:PORT; hoặc mọi mục tiêu của một tệp đo) và giải thích kết quả.",
            en:
                "Probe one URL (or, with --tcp, one HOST:PORT; or every target of a probe file) now and explain the result."
        ).spoken,
        discussion: Message(
            vi: """
                In trạng thái, thời gian từng pha, ngày hết hạn chứng chỉ, các kiểm tra đạt và, khi lỗi, nguyên \
                nhân. Thoát với mã 0 khi đo thành công (cả khi chỉ các kiểm tra mức cảnh báo không đạt: suy giảm), \
                1 khi thất bại. Các tùy chọn là các tùy chọn của tệp đo. Giá trị kiểm tra có tiền tố 'warning:' là \
                mức cảnh báo: --max-latency warning:1s.
                Ví dụ: ioc probe https://dichvucong.gov.vn/ --expect-body 'Cổng Dịch vụ công' --min-cert-days 14
                Với một tệp đo (probes/national.yaml), đo từng mục tiêu của nó một lần như iocd sẽ đo, theo thiết \
                lập của tệp, và thoát với mã 1 khi có mục tiêu thất bại.
                """,
            en: """
                Prints the status, the time of each phase, the certificate expiry, which expectations held and, \
                on failure, the reason. Exits 0 when the probe succeeds (also when only warning expectations \
                failed: degraded), 1 when it fails. The options are those of the probe files. An expectation \
                value prefixed with 'warning:' is a warning: --max-latency warning:1s.
                Example: ioc probe https://dichvucong.gov.vn/ --expect-body 'Cổng Dịch vụ công' --min-cert-days 14
                Given a probe file (probes/national.yaml), probes each of its targets once as iocd would, \
                with the file's settings, and exits 1 when any fails.
                """
        ).spoken)

    @Argument(
        help: .says(
            vi: "URL cần đo, HOST:PORT với --tcp, hoặc một tệp đo.",
            en: "The URL to probe, HOST:PORT with --tcp, or a probe file."))
    var target: String

    @Flag(
        help: .says(
            vi: "Đo một cổng TCP: kết nối (và với --tls, hoàn tất bắt tay TLS).",
            en: "Probe a TCP port: connect (and with --tls, complete a TLS handshake)."))
    var tcp = false

    @Flag(
        help: .says(
            vi: "Với --tcp: hoàn tất bắt tay TLS sau khi kết nối.",
            en: "With --tcp: complete a TLS handshake after connecting."))
    var tls = false

    @Option(help: .says(vi: "Thời gian tối đa cho cả lần đo.", en: "How long the whole probe may take."))
    var timeout = "10s"

    @Option(name: [.customShort("X"), .long], help: .says(vi: "Phương thức HTTP.", en: "HTTP method."))
    var method = "GET"

    @Option(
        name: [.customShort("H"), .customLong("header")],
        help: .says(
            vi: "Một tiêu đề yêu cầu, 'Tên: giá trị' (dùng được nhiều lần).",
            en: "A request header, 'Name: value' (repeatable)."))
    var headers: [String] = []

    @Option(help: .says(vi: "Nội dung yêu cầu.", en: "Request body."))
    var data: String?

    @Option(
        help: .says(
            vi: "Tên người dùng xác thực Basic (mật khẩu lấy từ --password-file hoặc --password-env).",
            en: "Basic authentication user name (the password from --password-file or --password-env)."))
    var user: String?

    @Option(help: .says(vi: "Tệp chứa mật khẩu xác thực Basic.", en: "File holding the basic-authentication password."))
    var passwordFile: String?

    @Option(
        help: .says(
            vi: "Biến môi trường chứa mật khẩu xác thực Basic.",
            en: "Environment variable holding the basic-authentication password."))
    var passwordEnv: String?

    @Option(help: .says(vi: "Tệp chứa mã bearer.", en: "File holding a bearer token."))
    var bearerTokenFile: String?

    @Option(help: .says(vi: "Biến môi trường chứa mã bearer.", en: "Environment variable holding a bearer token."))
    var bearerTokenEnv: String?

    @Flag(help: .says(vi: "Không theo các lần chuyển hướng.", en: "Do not follow redirects."))
    var noFollow = false

    @Option(help: .says(vi: "Theo nhiều nhất chừng này lần chuyển hướng.", en: "Follow at most this many redirects."))
    var maxRedirects = 10

    @Option(help: .says(vi: "Phiên bản IP: any, 4 hoặc 6.", en: "IP version: any, 4 or 6."))
    var ip = "any"

    @Option(
        help: .says(
            vi: "Tệp PEM các CA được tin cậy thay cho của hệ thống.",
            en: "PEM bundle of CAs to trust instead of the system's."))
    var caFile: String?

    @Option(
        help: .says(vi: "Chứng chỉ máy khách (PEM) cho TLS hai chiều.", en: "Client certificate (PEM) for mutual TLS."))
    var certFile: String?

    @Option(help: .says(vi: "Khóa máy khách (PEM) cho TLS hai chiều.", en: "Client key (PEM) for mutual TLS."))
    var keyFile: String?

    @Option(
        help: .says(
            vi: "Phiên bản TLS thấp nhất: 1.0, 1.1, 1.2 hoặc 1.3.", en: "Minimum TLS version: 1.0, 1.1, 1.2 or 1.3."))
    var tlsMin: String?

    @Flag(
        help: .says(
            vi: "Không xác minh chứng chỉ của máy chủ (không bao giờ là mặc định).",
            en: "Do not verify the server's certificate (never the default)."))
    var insecure = false

    @Option(
        help: .says(
            vi: "Mã trạng thái chấp nhận: 200, 2xx hoặc 200-299 (dùng được nhiều lần; mặc định 2xx).",
            en: "Accepted status: 200, 2xx or 200-299 (repeatable; default 2xx)."))
    var expectStatus: [String] = []

    @Option(
        help: .says(vi: "Biểu thức chính quy mà nội dung phải khớp.", en: "A regular expression the body must match."))
    var expectBody: String?

    @Option(
        help: .says(
            vi: "Biểu thức chính quy mà nội dung không được khớp.", en: "A regular expression the body must not match.")
    )
    var expectNoBody: String?

    @Option(
        help: .says(
            vi: "Một điều kiện JSON, vd. '$.status == \"UP\"' (dùng được nhiều lần).",
            en: "A JSON condition, e.g. '$.status == \"UP\"' (repeatable)."))
    var expectJson: [String] = []

    @Option(help: .says(vi: "Thời gian đo tối đa chấp nhận được, vd. 2s.", en: "The most the probe may take, e.g. 2s."))
    var maxLatency: String?

    @Option(
        help: .says(
            vi: "Số ngày mà chứng chỉ hết hạn sớm nhất còn phải hiệu lực.",
            en: "Days the earliest certificate must still be valid."))
    var minCertDays: String?

    /// Whether `target` names a probe file rather than an address.
    private var isProbeFile: Bool {
        (target.hasSuffix(".yaml") || target.hasSuffix(".yml")) && FileManager.default.fileExists(atPath: target)
    }

    func validate() throws {
        if !isProbeFile { _ = try makeTarget() }
    }

    func run() async throws {
        DisplayZone.current = StoreLocation.displayZone(config: nil)
        if isProbeFile { return try await probeFile() }
        let probeTarget = try makeTarget()
        let client = HTTPClient(maxInFlight: 1)
        let result = await Prober(client: client).probe(probeTarget)
        await client.shutdown()
        print(ProbeReport(target: probeTarget, result: result, language: Language.ofCommand).text)
        if !result.success { throw ExitCode.failure }
    }

    /// Every target of the probe file, once, in the file's order.
    private func probeFile() async throws {
        let targets: [ProbeTarget]
        do {
            targets = try ProbeFile.targets(from: try ConfigFiles.parse(target))
        } catch {
            FileHandle.standardError.write(Data("ioc probe: \(Language.ofCommand.describe(error))\n".utf8))
            throw ExitCode(ConfigError.exitCode)
        }
        let client = HTTPClient(maxInFlight: 64)
        let prober = Prober(client: client)
        // All at once, as iocd would start them; reported in the file's order.
        let results = await withTaskGroup(of: (Int, ProbeResult).self) { group in
            for (index, probeTarget) in targets.enumerated() {
                group.addTask { (index, await prober.probe(probeTarget)) }
            }
            var results: [Int: ProbeResult] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        await client.shutdown()
        var failed = 0
        for (index, probeTarget) in targets.enumerated() {
            guard let result = results[index] else { continue }
            if !result.success { failed += 1 }
            print("── \(probeTarget.labels)")
            print(ProbeReport(target: probeTarget, result: result, language: Language.ofCommand).text)
        }
        print(
            Language.ofCommand.localized(
                "probe.summary", ["up": "\(targets.count - failed)", "total": "\(targets.count)"]))
        if failed > 0 { throw ExitCode.failure }
    }

    private func makeTarget() throws -> ProbeTarget {
        guard let timeoutValue = Duration(prometheus: timeout), timeoutValue > .zero else {
            throw ValidationError.say("cmd.probe.bad_timeout", ["value": timeout])
        }
        guard let ipVersion = IPVersion(rawValue: ip) else {
            throw ValidationError.say("cmd.probe.bad_ip", ["value": ip])
        }
        var tlsOptions = TLSOptions(caFile: caFile, certificateFile: certFile, keyFile: keyFile, verify: !insecure)
        if let tlsMin {
            guard let version = TLSVersion(rawValue: tlsMin) else {
                throw ValidationError.say("cmd.probe.bad_tls_min")
            }
            tlsOptions.minimumVersion = version
        }
        if (certFile == nil) != (keyFile == nil) {
            throw ValidationError.say("cmd.probe.client_certificate")
        }
        let expectations = try makeExpectations()
        let kind: ProbeTarget.Kind
        if tcp {
            guard let (host, port) = ProbeFile.parseAddress(target) else {
                throw ValidationError.say("cmd.probe.not_host_port", ["value": target])
            }
            var probe = TCPProbe(host: host, port: port)
            probe.useTLS = tls
            probe.ipVersion = ipVersion
            probe.tls = tlsOptions
            if let unfit = expectations.first(where: { !$0.appliesToTCP }) {
                throw ValidationError.say("cmd.probe.not_tcp", ["value": "\(unfit)"])
            }
            probe.expectations = expectations
            kind = .tcp(probe)
        } else {
            let lowered = target.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
                throw ValidationError.say("cmd.probe.not_url", ["value": target])
            }
            // As in probe files: a password in the URL would be printed as the target's address.
            guard ConfigNode.redactingUserinfo(target) == target else {
                throw ValidationError.say("cmd.probe.userinfo", ["value": ConfigNode.redactingUserinfo(target)])
            }
            var probe = HTTPProbe(url: target)
            probe.method = method.uppercased()
            probe.headers = try headers.map { line in
                guard let colon = line.firstIndex(of: ":") else {
                    throw ValidationError.say("cmd.probe.bad_header", ["value": line])
                }
                return (
                    name: String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                    value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                )
            }
            probe.body = data
            probe.authorization = try makeAuthorization()
            probe.followRedirects = !noFollow
            probe.maxRedirects = maxRedirects
            probe.ipVersion = ipVersion
            probe.tls = tlsOptions
            probe.expectations = expectations
            kind = .http(probe)
        }
        return ProbeTarget(
            labels: Labels(["job": "ioc-probe", "instance": target]), kind: kind, interval: timeoutValue + .seconds(1),
            timeout: timeoutValue, location: SourceLocation(file: "command line", line: 1, column: 1))
    }

    private func makeAuthorization() throws -> HTTPProbe.Authorization? {
        if let bearerTokenFile {
            guard let token = Secret.fromFile(bearerTokenFile) else {
                throw ValidationError.say("cmd.cannot_read", ["path": bearerTokenFile])
            }
            return .bearer(token)
        }
        if let bearerTokenEnv {
            guard let token = Secret.fromEnvironment(bearerTokenEnv) else {
                throw ValidationError.say("cmd.probe.unset", ["name": bearerTokenEnv])
            }
            return .bearer(token)
        }
        guard let user else { return nil }
        if let passwordFile, let password = Secret.fromFile(passwordFile) {
            return .basic(username: user, password: password)
        }
        if let passwordEnv, let password = Secret.fromEnvironment(passwordEnv) {
            return .basic(username: user, password: password)
        }
        throw ValidationError.say("cmd.probe.user_password")
    }

    /// Splits an optional `warning:` prefix off an expectation value.
    private func severity(_ text: String) -> (Expectation.Severity, String) {
        text.hasPrefix("warning:") ? (.warning, String(text.dropFirst("warning:".count))) : (.critical, text)
    }

    private func makeExpectations() throws -> [Expectation] {
        var expectations: [Expectation] = []
        if !expectStatus.isEmpty {
            let (level, _) = severity(expectStatus[0])
            let ranges = try expectStatus.map { text in
                guard let range = Expectation.statusRange(severity(text).1) else {
                    throw ValidationError.say("cmd.probe.bad_status", ["value": text])
                }
                return range
            }
            expectations.append(Expectation(.status(ranges), severity: level))
        }
        for (text, matches) in [(expectBody, true), (expectNoBody, false)] {
            guard let text else { continue }
            let (level, pattern) = severity(text)
            guard let compiled = try? BodyPattern(pattern) else {
                throw ValidationError.say("cmd.probe.bad_regex", ["value": pattern])
            }
            expectations.append(
                Expectation(matches ? .bodyMatches(compiled) : .bodyDoesNotMatch(compiled), severity: level))
        }
        for text in expectJson {
            let (level, condition) = severity(text)
            do {
                expectations.append(Expectation(.json(try JSONCondition(parsing: condition)), severity: level))
            } catch {
                throw ValidationError("--expect-json: \(error)")
            }
        }
        if let maxLatency {
            let (level, text) = severity(maxLatency)
            guard let limit = Duration(prometheus: text) else {
                throw ValidationError.say("cmd.probe.bad_duration", ["value": text])
            }
            expectations.append(Expectation(.maxLatency(limit), severity: level))
        }
        if let minCertDays {
            let (level, text) = severity(minCertDays)
            guard let days = Int(text), days >= 0 else {
                throw ValidationError.say("cmd.probe.bad_days", ["value": text])
            }
            expectations.append(Expectation(.minCertificateDays(days), severity: level))
        }
        return expectations
    }
}

/// The human-readable account of one probe. Everything that came from the network is sanitised.
struct ProbeReport {
    let target: ProbeTarget
    let result: ProbeResult
    var language = Language.en

    var text: String {
        var lines = [language.localized("probe.heading", ["address": TerminalText.sanitize(target.address)])]
        func line(_ key: String, _ value: String) {
            let name = language.localized(key)
            let padding = String(repeating: " ", count: max(1, 13 - TerminalText.width(of: name)))
            lines.append("  " + name + padding + TerminalText.sanitize(value))
        }
        func phase(_ key: String, _ value: String) -> String { language.localized("probe.phase." + key) + " " + value }
        func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        if let response = result.response {
            if case .http = target.kind, let status = response.status {
                let version =
                    response.httpVersion == 2 || response.httpVersion == 3
                    ? "\(Int(response.httpVersion))" : "\(response.httpVersion)"
                line(
                    "probe.status",
                    language.localized(
                        "probe.status_line",
                        [
                            "status": "\(status)", "version": version, "bytes": "\(response.body.count)",
                            "redirects": "\(response.redirects)",
                        ]))
            }
            let timings = response.timings
            var phases = [
                phase("resolve", milliseconds(timings.resolve)), phase("connect", milliseconds(timings.connect)),
                phase("tls", response.usedTLS ? milliseconds(timings.tls) : "-"),
            ]
            if case .http = target.kind {
                phases += [
                    phase("processing", milliseconds(timings.processing)),
                    phase("transfer", milliseconds(timings.transfer)),
                ]
            }
            phases.append(phase("total", milliseconds(result.durationSeconds)))
            line("probe.phases", phases.joined(separator: " · "))
        }
        if let expiry = result.earliestCertificateExpiry {
            let days = Double(expiry * 1000 - result.timestamp) / 86_400_000
            line(
                "probe.certificate",
                language.localized(
                    "probe.expiry", ["date": UTCTime.display(expiry * 1000), "days": String(format: "%.1f", days)]))
        }
        if !result.outcomes.isEmpty {
            lines.append("  " + language.localized("probe.expectations"))
            for outcome in result.outcomes {
                let mark = outcome.failure == nil ? "✓" : (outcome.expectation.severity == .warning ? "!" : "✗")
                let level = outcome.expectation.severity == .warning ? language.localized("probe.warning") : ""
                let detail = outcome.failure.map { ": \($0)" } ?? ""
                lines.append("    \(mark) \(TerminalText.sanitize("\(outcome.expectation)\(level)\(detail)"))")
            }
        }
        let verdict: String
        let reason = result.failure?.reason ?? language.localized("probe.unknown")
        if !result.success {
            verdict = language.localized("state.down") + " (\(reason)): \(result.failure?.message ?? "")"
        } else if result.degraded {
            verdict = language.localized("state.degraded") + " (\(reason)): \(result.failure?.message ?? "")"
        } else {
            verdict = language.localized("state.up")
        }
        line("probe.result", verdict)
        return lines.joined(separator: "\n")
    }
}
