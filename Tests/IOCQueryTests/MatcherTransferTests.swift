import IOCCore
import TestSupport
import Testing

@testable import IOCQuery

/// Matchers lent from one side of a binary operator to the other load fewer series and change
/// neither an answer nor an error.
@Suite struct MatcherTransferTests {
    @Test(arguments: [
        #"x{province="p1"} and x{service="s2"}"#, #"x{province="p1"} unless y{service="s2"} > 100"#,
        #"x{province="p1"} / y{service="s2"}"#, #"rate(x{service="s1"}[5m]) / rate(x[5m])"#,
        #"x{province="p1"} > bool y{province="p1", service="s1"}"#,
        #"x{province=~"p1|p2"} - x{province="p1"} offset 5m"#, #"x{province="p1"} and rate(y{service="s2"}[5m])"#,
        #"x{province="p1"} / on (service, instance) y{province="p2"}"#,
        #"x{service!="s1"} * on (province, service, instance) y{province="p3"}"#,
        #"x{province="p1"} / on (province, service) group_left y{instance="h0"}"#,
        #"y{instance="h0"} / on (province, service) group_right x{province="p1"}"#,
        #"{__name__=~"x|y", province="p1"} + x{service="s1"}"#, #"ln(x{province="p2"}) + y{service="s4"} * 2"#,
        #"hour(x{province="p1"}) * on (province, service, instance) max_over_time(y{service="s0"}[10m])"#,
        #"sum by (service) (x{province="p1"}) / sum by (service) (y)"#, #"x{province="p1"} or y{service="s2"}"#,
        // Errors Prometheus reports, which lending must not hide: duplicates on the "one" side.
        #"x{province="p1"} / on (service) y"#, #"x{province="p1"} / ignoring (instance) y{service="s0"}"#,
        #"x{province="p1"} + on (province, service) group_left y{service="s1"}"#,
        // ... and where the duplicates are all outside what the other side's matchers would keep.
        #"x{province="p1"} / ignoring (instance) y{instance!="h0", province!="p1"}"#,
        #"x{province="p1"} + on (province, service) group_left y{province!="p1"}"#,
        #"y{province!="p1"} - on (province, service) group_right x{province="p1"}"#,
    ])
    func answersAndErrorsAreThoseOfLoadingAsWritten(expression: String) async throws {
        try await onTestWorkThread {
            let query = try Query(parsing: expression)
            let store = SideFilterTests.store()
            let lent = SideFilterTests.CountingSource(store, filters: true)
            let written = SideFilterTests.CountingSource(store, filters: true)
            let lending = Engine()
            var plain = Engine()
            plain.lendsMatchers = false
            for time: Int64 in [600_000, 1_800_000, 3_000_000] {
                let wanted = Result { try plain.instant(query, at: time, source: written) }
                let got = Result { try lending.instant(query, at: time, source: lent) }
                switch (got, wanted) {
                case (.success(.vector(let one)), .success(.vector(let other))): #expect(one == other, "at \(time)")
                case (.failure, .failure): break
                default: Issue.record("at \(time): \(got) against \(wanted)")
                }
            }
            let wanted = Result {
                try plain.range(query, start: 600_000, end: 3_600_000, step: 45_000, source: written)
            }
            let got = Result { try lending.range(query, start: 600_000, end: 3_600_000, step: 45_000, source: lent) }
            switch (got, wanted) {
            case (.success(let one), .success(let other)): #expect(one == other)
            case (.failure, .failure): break
            default: Issue.record("range: \(got) against \(wanted)")
            }
            #expect(lent.seriesGiven <= written.seriesGiven)
        }
    }

    @Test func eachSideLoadsOnlyWhatCanMatch() throws {
        func given(_ expression: String) throws -> Int {
            let source = SideFilterTests.CountingSource(SideFilterTests.store(), filters: true)
            _ = try Engine().instant(try Query(parsing: expression), at: 1_800_000, source: source)
            return source.seriesGiven
        }
        // p1's 15 series and s2's 12 have 3 in common: each side loads those.
        #expect(try given(#"x{province="p1"} and x{service="s2"}"#) == 3 + 3)
        // The left is the "many" side and the match is on all labels: both ways. Both sides then
        // select the same 12 series over the same window, read once.
        #expect(try given(#"rate(x{service="s1"}[5m]) / rate(x[5m])"#) == 12)
        // With `on`, nothing is lent to the "one" side (the right): 20 of h1 there; the left takes
        // h1 from it: 5 of p1's 15.
        #expect(try given(#"x{province="p1"} / on (province, service, instance) y{instance="h1"}"#) == 5 + 20)
        // `or` lends nothing.
        #expect(try given(#"x{province="p1"} or y{service="s2"}"#) == 15 + 12)
    }
}
