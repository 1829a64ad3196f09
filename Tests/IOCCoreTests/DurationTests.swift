import IOCCore
import Testing

@Suite struct DurationTests {
    @Test(arguments: [
        ("15s", Int64(15_000)), ("5m", 300_000), ("1h30m", 5_400_000), ("500ms", 500), ("2d", 172_800_000),
        ("1w", 604_800_000), ("1y", 31_536_000_000), ("1m30s500ms", 90_500), ("0s", 0),
    ])
    func parsesPrometheusDurations(text: String, milliseconds: Int64) {
        #expect(Duration(prometheus: text)?.inMilliseconds == milliseconds)
    }

    @Test(arguments: ["", "15", "s", "1.5s", "30s1m", "1m1m", "5 m", "-5s", "1x", "10sms"])
    func rejectsMalformedDurations(text: String) {
        #expect(Duration(prometheus: text) == nil)
    }

    @Test(arguments: [
        (Int64(5_400_000), "1h30m"), (500, "500ms"), (0, "0s"), (90_500, "1m30s500ms"), (86_400_000, "1d"),
    ])
    func formatsTheShortestSpelling(milliseconds: Int64, text: String) {
        #expect(Duration.milliseconds(milliseconds).prometheusString == text)
        #expect(Duration(prometheus: text)?.inMilliseconds == milliseconds)
    }
}
