import Foundation
import IOCCore
import Testing

/// The checks every input passes through: durations and times that cannot overflow, feed samples
/// admitted or refused with a reason, names quoted on output, regular expressions in linear time.
@Suite struct HardeningTests {
    @Test(arguments: ["1000000000y", "9223372036854775807ms", "300y", "293y"])
    func durationsBeyondPrometheusAreRefusedNotOverflowed(_ text: String) {
        #expect(Duration(prometheus: text) == nil)
    }

    @Test func hugeDurationsConvertWithoutTrapping() throws {
        #expect(Duration.seconds(Int64.max).inMilliseconds == .max)
        #expect(Duration.seconds(Int64.min).inMilliseconds == .min)
        let longest = try #require(Duration(prometheus: "290y"))
        #expect(longest.inMilliseconds == Int64(290) * 365 * 86_400_000)
    }

    @Test func feedSamplesOutsideTheWindowOrWithBadNamesAreRefusedWithAReason() {
        let admission = SampleAdmission()
        let now: Int64 = 1_800_000_000_000
        func sample(_ labels: [String: String], at time: Int64 = 1_800_000_000_000) -> LabeledSample {
            LabeledSample(labels: Labels(labels), sample: Sample(timestamp: time, value: 1))
        }
        #expect(admission.check(sample(["__name__": "up"]), now: now) == nil)
        #expect(admission.check(sample(["__name__": "up"], at: .max), now: now) == .outOfBounds)
        #expect(admission.check(sample(["__name__": "up"], at: .min), now: now) == .outOfBounds)
        #expect(admission.check(sample(["__name__": "up"], at: now - 3_600_001), now: now) == .outOfBounds)
        #expect(admission.check(sample(["__name__": "up"], at: now + 600_001), now: now) == .outOfBounds)
        #expect(admission.check(sample(["__name__": "a\nb"]), now: now) == .invalidMetricName)
        #expect(admission.check(sample(["__name__": "a.b"]), now: now) == nil)
        #expect(admission.check(sample(["__name__": "up", "__x": "1"]), now: now) == .invalidLabelName)
        #expect(admission.check(sample(["__name__": "up", "v": "\u{1B}[2J"]), now: now) == nil)
        #expect(
            admission.check(sample(["__name__": "up", "v": String(repeating: "x", count: 2049)]), now: now)
                == .labelValueTooLong)
        var many = ["__name__": "up"]
        for index in 0..<40 { many["l\(index)"] = "v" }
        #expect(admission.check(sample(many), now: now) == .tooManyLabels)
        let (admitted, rejected) = admission.filter(
            [sample(["__name__": "up"]), sample(["__name__": "up"], at: .max), sample(["__name__": "x\r"])], now: now)
        #expect(admitted.count == 1 && rejected == [.outOfBounds: 1, .invalidMetricName: 1])
    }

    @Test func namesThatAreNotClassicAreQuotedSoNoLineCanBeForged() {
        let forged = Labels(["__name__": "x\nprobe_success{province=\"Huế\"} 0", "a.b": "v\n"])
        #expect(forged.description == #"{"x\nprobe_success{province=\"Huế\"} 0","a.b"="v\n"}"#)
        #expect(!forged.description.contains("\n"))
        #expect(Labels(["__name__": "up", "job": "x"]).description == #"up{job="x"}"#)
    }

    @Test func matcherValuesQuoteEveryControlCharacter() {
        #expect(LabelMatcher.quote("a\"b\\c\r\n\t\u{1B}") == #""a\"b\\c\r\n\t\u001b""#)
    }

    @Test func urlsWithCredentialsAreRefusedAndRedacted() throws {
        let node = try ConfigNode.parse(yaml: "url: https://user:secret@example.gov.vn/x", file: "/etc/iocd/p.yaml")
        let mapping = try node.mapping(of: "target", allowedKeys: ["url"])
        #expect(throws: ConfigError.self) { try mapping.required("url").httpURL("'url'") }
        do {
            _ = try mapping.required("url").httpURL("'url'")
        } catch {
            #expect(!"\(error)".contains("user:secret") && "\(error)".contains("basic_auth"), "\(error)")
        }
        #expect(ConfigNode.redactingUserinfo("http://a:b@h/p@q") == "http://<secret>@h/p@q")
    }

    @Test func secretFilesResolveBesideTheirConfigurationAndFromSystemdCredentials() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ioc-secret-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "token\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let node = try ConfigNode.parse(yaml: "file: token", file: directory + "/iocd.yaml")
        let file = try node.mapping(of: "x", allowedKeys: ["file"]).required("file")
        #expect(try file.secretFile("the token file").value == "token")
        setenv("CREDENTIALS_DIRECTORY", directory, 1)
        defer { unsetenv("CREDENTIALS_DIRECTORY") }
        let credential = try ConfigNode.parse(
            yaml: "file: ${CREDENTIALS_DIRECTORY}/token", file: "/elsewhere/iocd.yaml")
        #expect(
            try credential.mapping(of: "x", allowedKeys: ["file"]).required("file").secretFile("t").value == "token")
    }

    @Test func regularExpressionsMatchInLinearTimeWithGoSemantics() throws {
        let matcher = try LabelMatcher("s", .matchesRegex, ".*.*.*.*.*.*.*.*b")
        let values = (0..<1000).map { String(repeating: "a", count: 79) + ($0 % 2 == 0 ? "c" : "b") }
        #expect(values.filter { matcher.matches($0) }.count == 500)
        #expect(try LabelMatcher("s", .matchesRegex, "a|ab").matches("ab"))
        #expect(try !LabelMatcher("s", .matchesRegex, "a").matches("ab"))
        #expect(throws: (any Error).self) { try LabelMatcher("s", .matchesRegex, "(a") }
        // Go's syntax, not ICU's: backreferences do not exist.
        #expect(throws: (any Error).self) { try LabelMatcher("s", .matchesRegex, #"(a)\1"#) }
        let regex = try LinearRegex("a*")
        #expect(regex.replaceAll(in: "baaac", with: "X") == "XbXcX")
        let named = try LinearRegex("(?P<host>[^:]+):(\\d+)", anchored: true)
        let text = Array("example.gov.vn:443".utf8)
        let groups = try #require(named.match(text, anchored: true))
        #expect(
            String(decoding: named.expand("${host} on $2, $$", groups: groups, in: text), as: UTF8.self)
                == "example.gov.vn on 443, $")
    }
}
