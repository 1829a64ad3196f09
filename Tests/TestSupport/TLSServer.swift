import Foundation
import Glibc

/// A real TLS server for tests: nginx from Debian, started on free loopback ports with certificates
/// made for the test by the openssl command: one port per case. Stopped on `stop()` or deinit.
public final class TLSServer: @unchecked Sendable {
    public enum Case: String, CaseIterable, Sendable {
        /// Signed by the test CA for localhost and 127.0.0.1, valid for 30 more days.
        case valid
        /// Signed by the test CA, expired in 2020.
        case expired
        /// Signed by itself.
        case selfSigned
        /// Signed by the test CA for another host name.
        case wrongHost
        /// The valid certificate, and a client certificate signed by the test CA is required.
        case clientCertificateRequired
        /// The valid certificate, over TLS 1.2 only.
        case tls12Only
    }

    public let directory: TemporaryDirectory
    public let ports: [Case: Int]
    /// The test CA, to pass as `ca_file`.
    public let caFile: String
    public let clientCertificateFile: String
    public let clientKeyFile: String
    /// The valid certificate's notAfter, seconds since the epoch.
    public let validNotAfter: Int64
    private let nginx: TestProcess

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    public init() async throws {
        directory = try TemporaryDirectory("ioc-tls")
        let dir = directory.path
        caFile = "\(dir)/ca.pem"
        clientCertificateFile = "\(dir)/client.pem"
        clientKeyFile = "\(dir)/client.key"
        try FileManager.default.createDirectory(atPath: "\(dir)/newcerts", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/tmp", withIntermediateDirectories: true)
        try directory.write("index.txt", "")
        try directory.write("serial", "1000\n")
        try directory.write(
            "ca.cnf",
            """
            [ ca ]
            default_ca = test
            [ test ]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)/newcerts
            serial = \(dir)/serial
            default_md = sha256
            policy = any
            unique_subject = no
            [ any ]
            commonName = supplied

            """)
        // Nested functions below must not capture `self` before every property is set.
        let files = directory
        let ca = caFile
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await TLSServer.openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "\(dir)/ca.key", "-out", caFile, "-days", "3650", "-subj", "/CN=IOC Test CA",
            ])
        func signed(_ name: String, host: String, start: String?, end: String?, days: Int, client: Bool = false)
            async throws
        {
            try await TLSServer.openssl(
                ["req", "-new"] + ec + [
                    "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(host)",
                ])
            let extensions =
                client
                ? "extendedKeyUsage=clientAuth\n"
                : "subjectAltName=DNS:\(host)\(host == "localhost" ? ",IP:127.0.0.1" : "")\nextendedKeyUsage=serverAuth\n"
            try files.write("\(name).ext", extensions)
            var arguments = [
                "ca", "-batch", "-notext", "-config", "\(dir)/ca.cnf", "-cert", ca, "-keyfile", "\(dir)/ca.key",
                "-in", "\(dir)/\(name).csr", "-out", "\(dir)/\(name).pem", "-extfile", "\(dir)/\(name).ext",
            ]
            if let start, let end {
                arguments += ["-startdate", start, "-enddate", end]
            } else {
                arguments += ["-days", String(days)]
            }
            try await TLSServer.openssl(arguments)
        }
        try await signed("valid", host: "localhost", start: nil, end: nil, days: 30)
        try await signed("expired", host: "localhost", start: "20200101000000Z", end: "20200201000000Z", days: 0)
        try await signed("wrong", host: "wrong.example", start: nil, end: nil, days: 30)
        try await signed("client", host: "ioc-client", start: nil, end: nil, days: 30, client: true)
        try await TLSServer.openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "\(dir)/self.key", "-out", "\(dir)/self.pem", "-days", "30", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        let enddate = try await TestProcess.run(
            "/usr/bin/openssl", ["x509", "-in", "\(dir)/valid.pem", "-noout", "-enddate"])
        validNotAfter = TLSServer.parseOpenSSLDate(enddate.stdout.replacingOccurrences(of: "notAfter=", with: "")) ?? 0

        var chosen: [Case: Int] = [:]
        for item in Case.allCases { chosen[item] = refusedPort() }
        let ports = chosen
        self.ports = chosen
        func server(_ item: Case, certificate: String, extra: String = "") -> String {
            """
                server {
                    listen 127.0.0.1:\(ports[item] ?? 0) ssl;
                    server_name localhost;
                    ssl_certificate \(dir)/\(certificate).pem;
                    ssl_certificate_key \(dir)/\(certificate).key;
                    \(extra)
                    location / { default_type application/json; return 200 '{"status":"UP","case":"\(item.rawValue)"}'; }
                }

            """
        }
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                # nginx 1.22 leaves TLS 1.3 out of its default; servers below may narrow this.
                ssl_protocols TLSv1.2 TLSv1.3;
                client_body_temp_path \(dir)/tmp/body;
                proxy_temp_path \(dir)/tmp/proxy;
                fastcgi_temp_path \(dir)/tmp/fastcgi;
                uwsgi_temp_path \(dir)/tmp/uwsgi;
                scgi_temp_path \(dir)/tmp/scgi;
            \(server(.valid, certificate: "valid"))\
            \(server(.expired, certificate: "expired"))\
            \(server(.selfSigned, certificate: "self"))\
            \(server(.wrongHost, certificate: "wrong"))\
            \(server(.clientCertificateRequired, certificate: "valid", extra: "ssl_client_certificate \(ca); ssl_verify_client on;"))\
            \(server(.tls12Only, certificate: "valid", extra: "ssl_protocols TLSv1.2;"))\
            }

            """
        try directory.write("nginx.conf", configuration)
        let server = try TestProcess(
            "/usr/sbin/nginx", ["-p", dir, "-c", "\(dir)/nginx.conf", "-e", "\(dir)/error.log"])
        nginx = server
        let up = await waitUntil(timeout: .seconds(15)) { ports.values.allSatisfy { acceptsConnections(port: $0) } }
        guard up else {
            let log = (try? String(contentsOfFile: "\(dir)/error.log", encoding: .utf8)) ?? ""
            throw TLSServerError(description: "nginx did not start: \(server.standardError) \(log)")
        }
    }

    /// Stops nginx and waits for it before the folder goes: removing the folder while nginx was
    /// still ending (its pid file going) failed halfway and left the rest in /tmp.
    deinit {
        nginx.signal(SIGTERM)
        if nginx.waitBlocking(milliseconds: 10_000) == nil {
            nginx.signal(SIGKILL)
            _ = nginx.waitBlocking(milliseconds: 5_000)
        }
    }

    public func url(_ item: Case, host: String = "localhost", path: String = "/") -> String {
        "https://\(host):\(ports[item] ?? 0)\(path)"
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await TestProcess.run("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw TLSServerError(
                description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)")
        }
    }

    /// `Jan  1 00:00:00 2030 GMT` as seconds since the epoch.
    static func parseOpenSSLDate(_ text: String) -> Int64? {
        var parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 4 else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: parts[0]), let day = Int(parts[1]), let year = Int(parts[3]) else {
            return nil
        }
        parts = parts[2].split(separator: ":").map(String.init)
        guard parts.count == 3, let hour = Int(parts[0]), let minute = Int(parts[1]), let second = Int(parts[2]) else {
            return nil
        }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (year, month + 1, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar.date(from: components).map { Int64($0.timeIntervalSince1970) }
    }
}

public struct TLSServerError: Error, CustomStringConvertible {
    public let description: String
}
