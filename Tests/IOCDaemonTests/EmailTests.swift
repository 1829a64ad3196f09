import Foundation
import IOCHTTP
import TestSupport
import Testing

/// E-mail to a real SMTP server on loopback (Debian's python3-aiosmtpd) that requires STARTTLS and
/// authentication: a message iocd could not deliver waits in the durable queue, then arrives, and
/// Python's standard e-mail parser reads back its Vietnamese subject (RFC 2047), its UTF-8 bodies and
/// its headers. Certificates are verified; a wrong password is an error that does not show it.
@Suite(.enabled(if: SMTPServer.isAvailable)) struct EmailTests {
    @Test func anAlertArrivesByMailWithStartTLSAndAuthentication() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let smtpPort = refusedPort()
            try directory.write("smtp-password", "mật-khẩu s3cret\n")
            let certificate = try await SMTPServer.certificate(in: directory)
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [rules.yaml]
                evaluation_interval: 1s
                external_url: 'http://ioc.hue.gov.vn:9090'
                notifications:
                  route: {receiver: mail, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
                  receivers:
                    - name: mail
                      email:
                        to: 'Trực ban <trucban@soa.gov.vn>, lanhdao@soa.gov.vn'
                        from: 'Trung tâm IOC Huế <ioc@hue.gov.vn>'
                        smarthost: '127.0.0.1:\(smtpPort)'
                        hello: ioc.hue.gov.vn
                        auth_username: ioc
                        auth_password_file: smtp-password
                        tls_config: {ca_file: \(certificate.path)}
                        headers: {X-Province: '{{ .CommonLabels.province }}', X-Reply: "a\\r\\nBcc: x@evil.example"}
                        timeout: 5s
                """)
            try DownPortal.write(
                in: directory, port: closed.number,
                annotations: "{summary: '<b>{{ $labels.service }}</b> của {{ $labels.province }} ngừng hoạt động', "
                    + "description: 'Gọi kỹ thuật viên trực của sở.'}")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            // The server is down: the delivery fails, is logged by address and server, and waits.
            let failed = await waitUntil(timeout: .seconds(30)) {
                daemon.standardError.contains(
                    "email to trucban@soa.gov.vn, lanhdao@soa.gov.vn via smtp://127.0.0.1:\(smtpPort)")
            }
            #expect(failed, "\(daemon.standardError)")

            let server = try await SMTPServer(
                port: smtpPort, certificate: certificate, user: "ioc", password: "mật-khẩu s3cret", in: directory)
            defer { server.stop() }
            #expect(await waitUntil(timeout: .seconds(40)) { !server.messages.isEmpty }, "\(daemon.standardError)")
            let mail = try #require(server.messages.first)
            #expect(mail["tls"] as? Bool == true && mail["authenticated"] as? Bool == true)
            #expect(mail["mail_from"] as? String == "ioc@hue.gov.vn")
            #expect(mail["rcpt_tos"] as? [String] == ["trucban@soa.gov.vn", "lanhdao@soa.gov.vn"])
            #expect(mail["subject"] as? String == "[CẢNH BÁO: 1] ServiceDown")
            let raw = mail["raw_header"] as? String ?? ""
            #expect(raw.contains("Subject: =?UTF-8?B?") && raw.unicodeScalars.allSatisfy(\.isASCII), "\(raw)")
            let headers = mail["headers"] as? [String: String] ?? [:]
            #expect(headers["From"] == "Trung tâm IOC Huế <ioc@hue.gov.vn>", "\(headers)")
            #expect(headers["To"] == "Trực ban <trucban@soa.gov.vn>, lanhdao@soa.gov.vn", "\(headers)")
            #expect(headers["X-Province"] == "Huế" && headers["MIME-Version"] == "1.0", "\(headers)")
            // A line break in a header's value cannot add a header.
            #expect(headers["Bcc"] == nil && headers["X-Reply"]?.hasPrefix("a") == true, "\(headers)")
            let parts = mail["parts"] as? [String: String] ?? [:]
            let text = parts["text/plain"] ?? ""
            #expect(
                text.contains("• <b>dvc</b> của Huế ngừng hoạt động\n  Nơi: Huế · dvc · critical\n  Từ: "), "\(text)")
            #expect(text.contains("Việc cần làm: Gọi kỹ thuật viên trực của sở."), "\(text)")
            #expect(text.contains("Trung tâm điều hành: http://ioc.hue.gov.vn:9090"), "\(text)")
            let html = parts["text/html"] ?? ""
            #expect(html.contains("<td>&lt;b&gt;dvc&lt;/b&gt; của Huế ngừng hoạt động</td>"), "\(html)")
            #expect(!daemon.standardError.contains("s3cret"), "the password stays out of the log")

            // Directly: an unknown certificate authority and a wrong password are errors.
            let message = Array("Subject: x\r\n\r\nx\r\n".utf8)
            #expect {
                try MailTransfer.send(
                    MailRequest(
                        host: "127.0.0.1", port: smtpPort, from: "a@b.vn", recipients: ["c@d.vn"], message: message,
                        username: "ioc", password: "mật-khẩu s3cret", timeout: .seconds(5)))
            } throws: { "\($0)".contains("certificate") }
            let wrong = #expect(throws: MailTransfer.Failure.self) {
                try MailTransfer.send(
                    MailRequest(
                        host: "127.0.0.1", port: smtpPort, from: "a@b.vn", recipients: ["c@d.vn"], message: message,
                        username: "ioc", password: "wrong-pass", tls: TLSOptions(caFile: certificate.path),
                        timeout: .seconds(5)))
            }
            let description = wrong.map { "\($0)" } ?? ""
            #expect(description.contains("535") && !description.contains("wrong-pass"), "\(description)")
        }
    }
}

/// aiosmtpd on loopback, run by the fixture script.
final class SMTPServer: @unchecked Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/smtp-server.py"
    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/aiosmtpd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    let process: TestProcess
    let outbox: String

    init(
        port: Int, certificate: (path: String, key: String), user: String, password: String,
        in directory: TemporaryDirectory
    )
        async throws
    {
        outbox = directory.file("outbox")
        try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
        process = try TestProcess(
            "/usr/bin/python3", [Self.script, String(port), certificate.path, certificate.key, user, password, outbox])
        let process = self.process
        let ready = await waitUntil(timeout: .seconds(20)) { process.standardOutput.contains("ready") }
        guard ready else { throw TestFailure("the SMTP server did not start: \(process.standardError)") }
    }

    /// A self-signed certificate for 127.0.0.1 and localhost.
    static func certificate(in directory: TemporaryDirectory) async throws -> (path: String, key: String) {
        let (certificate, key) = (directory.file("smtp.pem"), directory.file("smtp.key"))
        let result = try await TestProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        guard result.status == 0 else { throw TestFailure("openssl: \(result.stderr)") }
        return (certificate, key)
    }

    /// The messages received, parsed back, in order.
    var messages: [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter {
            $0.hasSuffix(".json")
        }
        return names.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(outbox)/\(name)") else { return nil }
            return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
    }

    func stop() { process.signal(SIGTERM) }
}

/// Huế's portal probed on a port that refuses, every second, and the rule that makes it an alert
/// within two seconds: probes.yaml and rules.yaml for the tests of a receiver.
enum DownPortal {
    static func write(in directory: TemporaryDirectory, port: Int, annotations: String) throws {
        try directory.write(
            "probes.yaml",
            "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n"
                + "    labels: {province: Huế, service: dvc}\n"
                + "    targets:\n      - url: http://127.0.0.1:\(port)/health\n")
        try directory.write(
            "rules.yaml",
            """
            groups:
              - name: portal
                rules:
                  - alert: ServiceDown
                    expr: probe_success == 0
                    for: 1s
                    labels: {severity: critical}
                    annotations: \(annotations)
            """)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
