import IOCAlert
import IOCCore
import Testing

@Suite struct NotifierStateTests {
    func config(_ yaml: String) throws -> NotifierConfig {
        try NotifierConfig(from: try ConfigNode.parse(yaml: yaml, file: "iocd.yaml"))
    }

    let basic = """
        route:
          receiver: ops
          group_by: [alertname, province]
          group_wait: 30s
          group_interval: 5m
          repeat_interval: 4h
          routes:
            - matchers: ['severity="critical"']
              receiver: pager
        receivers:
          - name: ops
            syslog: {facility: local3}
          - name: pager
            exec: {command: [/bin/true]}
        inhibit_rules:
          - source_matchers: ['alertname="ProvinceNetworkDown"']
            target_matchers: ['alertname="ServiceDown"']
            equal: [province]
        """

    func alert(
        _ name: String, _ province: String, service: String = "dvc", severity: String = "warning",
        resolvedAt: Int64? = nil
    ) -> NotifiableAlert {
        NotifiableAlert(
            labels: Labels([("alertname", name), ("province", province), ("service", service), ("severity", severity)]),
            annotations: Labels([("summary", "\(service) of \(province)")]), startsAt: 0, endsAt: resolvedAt)
    }

    @Test func aGroupIsSentAfterGroupWaitThenOnChangesAndRepeats() throws {
        var state = NotifierState(config: try config(basic))
        state.update([alert("ServiceDown", "Huế")], from: "r1", at: 0)
        #expect(state.flush(at: 29_000, silences: []).isEmpty)
        let first = state.flush(at: 30_000, silences: [])
        #expect(first.map(\.receiver) == ["ops"])
        #expect(first.first?.groupLabels == Labels([("alertname", "ServiceDown"), ("province", "Huế")]))
        // A second service in the same group waits for the group interval.
        state.update(
            [alert("ServiceDown", "Huế"), alert("ServiceDown", "Huế", service: "lgsp")], from: "r1", at: 60_000)
        #expect(state.flush(at: 60_000, silences: []).isEmpty)
        let second = state.flush(at: 330_000, silences: [])
        #expect(second.first?.alerts.count == 2)
        // Nothing new: silent until the repeat interval.
        #expect(state.flush(at: 630_000, silences: []).isEmpty)
        #expect(state.flush(at: 330_000 + 4 * 3_600_000, silences: []).count == 1)
    }

    @Test func criticalAlertsGoToTheirRouteAndResolutionsFollow() throws {
        var state = NotifierState(config: try config(basic))
        state.update([alert("ServiceDown", "Huế", severity: "critical")], from: "r1", at: 0)
        #expect(state.flush(at: 30_000, silences: []).map(\.receiver) == ["pager"])
        // The rule no longer gives it: resolved, sent at the next group interval.
        state.update([], from: "r1", at: 100_000)
        let resolved = state.flush(at: 330_000, silences: [])
        #expect(resolved.count == 1)
        #expect(resolved.first?.alerts.first?.endsAt == 100_000)
        #expect(resolved.first?.isFiring == false)
        #expect(state.flush(at: 700_000, silences: []).isEmpty)
    }

    @Test func aProvinceNetworkAlertInhibitsThatProvincesServiceAlertsOnly() throws {
        var state = NotifierState(config: try config(basic))
        state.update(
            [alert("ProvinceNetworkDown", "Huế"), alert("ServiceDown", "Huế"), alert("ServiceDown", "Cần Thơ")],
            from: "r1", at: 0)
        let sent = state.flush(at: 30_000, silences: []).flatMap(\.alerts).map {
            "\($0.labels["alertname"]!) \($0.labels["province"]!)"
        }
        #expect(sent.sorted() == ["ProvinceNetworkDown Huế", "ServiceDown Cần Thơ"])
    }

    @Test func aSilencedAlertIsNotSentButItsResolutionStillIs() throws {
        var state = NotifierState(config: try config(basic))
        let down = alert("ServiceDown", "Huế")
        state.update([down], from: "r1", at: 0)
        #expect(state.flush(at: 30_000, silences: []).count == 1)
        let silence = Silence(
            id: "s1", matchers: [try LabelMatcher("province", .equal, "Huế")], startsAt: 40_000, endsAt: 100_000_000,
            createdBy: "an", comment: "known outage")
        // Silenced: not repeated.
        #expect(state.flush(at: 30_000 + 4 * 3_600_000, silences: [silence]).isEmpty)
        // Resolved while silenced: the incident it opened is closed.
        state.update([], from: "r1", at: 5_000_000)
        let closing = state.flush(at: 30_000 + 5 * 3_600_000, silences: [silence])
        #expect(closing.count == 1 && closing.first?.isFiring == false)
        // A new alert under the silence is never sent, nor is its resolution.
        state.update([alert("ServiceDown", "Huế", service: "lgsp")], from: "r2", at: 6_000_000)
        #expect(state.flush(at: 7_000_000, silences: [silence]).isEmpty)
        state.update([], from: "r2", at: 7_100_000)
        #expect(state.flush(at: 8_000_000, silences: [silence]).isEmpty)
    }

    @Test func theLogKeepsARestartFromSendingAgain() throws {
        var state = NotifierState(config: try config(basic))
        state.update([alert("ServiceDown", "Huế")], from: "r1", at: 0)
        #expect(state.flush(at: 30_000, silences: []).count == 1)
        let log = state.takeChangedLog()
        #expect(log.count == 1)
        var restarted = NotifierState(config: try config(basic), log: log)
        restarted.update([alert("ServiceDown", "Huế"), alert("ServiceDown", "Huě")], from: "r1", at: 100_000)
        let after = restarted.flush(at: 130_000, silences: [])
        // Only the alert never sent before (a different province spelling) goes out.
        #expect(after.flatMap(\.alerts).map { $0.labels["province"] } == ["Huě"])
    }

    @Test func maintenanceWindowsMuteByLocalTime() throws {
        let state = NotifierState(
            config: try config(
                basic + """

                    maintenance_windows:
                      - name: saturday-night
                        time_zone: Asia/Ho_Chi_Minh
                        weekdays: [saturday]
                        times: [{start: '22:00', end: '24:00'}]
                        matchers: ['province="Huế"']
                    """))
        // 2026-11-28 is a Saturday; 22:30 in Hồ Chí Minh City is 15:30 UTC.
        let inWindow = Int64(1_795_879_800_000)  // 2026-11-28T15:30:00Z
        let before = Int64(1_795_872_600_000)  // 2026-11-28T13:30:00Z, 20:30 local
        #expect(state.isMuted(alert("ServiceDown", "Huế"), silences: [], at: inWindow))
        #expect(!state.isMuted(alert("ServiceDown", "Huế"), silences: [], at: before))
        #expect(!state.isMuted(alert("ServiceDown", "Cần Thơ"), silences: [], at: inWindow))
    }

    @Test func configurationErrorsNameLineAndReason() {
        #expect {
            _ = try config("route:\n  receiver: nobody\nreceivers:\n  - name: ops\n    syslog: {}\n")
        } throws: { "\($0)".hasPrefix("iocd.yaml:2:13: no receiver named 'nobody'") }
        #expect {
            _ = try config("route:\n  receiver: ops\nreceivers:\n  - name: ops\n    exec: {command: [page]}\n")
        } throws: { "\($0)".contains("absolute program path") }
    }
}
