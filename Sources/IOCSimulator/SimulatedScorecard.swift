import Foundation
public import IOCCore

/// The Decision 766 statistics of the simulated provinces, as the national public-service portal
/// would publish them: for the month so far (`period="current"`) and the month before
/// (`period="previous"`), the counts each indicator of rules/scorecard-766.yaml divides.
///
/// Every province draws its own quality per indicator from the seed, and a drift per month: some
/// provinces improve, some slip. The current month also wobbles by a few points over minutes, so
/// that a demo's league table moves. Months are those of Asia/Ho_Chi_Minh (UTC+7, no daylight
/// saving). The same seed and time give the same document.
public struct SimulatedScorecard: Sendable {
    public let seed: UInt64
    public let provinces: [Province]

    public init(seed: UInt64, provinces: [Province]) {
        self.seed = seed
        self.provinces = provinces
    }

    /// The feed fields, in document order; each becomes a `dvc_<field>` series.
    public static let fields = [
        "procedures_published", "procedures_published_on_time", "procedures_public_on_time", "procedures_complete",
        "procedures_reported", "procedures_synced",
        "dossiers_processed", "dossiers_processed_on_time", "dossiers_processed_late",
        "procedures_eligible_online", "procedures_online", "procedures_online_with_dossiers",
        "dossiers_received", "dossiers_online", "dossiers_synced",
        "procedures_with_fee", "procedures_payment_online", "dossiers_with_fee", "dossiers_paid_online",
        "results_issued", "results_electronic", "dossiers_digitised", "dossiers_reused", "dossiers_shared",
        "dossiers_population_db",
        "feedback_received", "feedback_handled_on_time", "dossiers_dissatisfied", "complaints",
    ]

    /// Shares that drive the counts: (indicator, lowest base, highest base).
    static let qualities: [(String, Double, Double)] = [
        ("1.1", 0.80, 1.00), ("1.2", 0.70, 1.00), ("1.3", 0.75, 1.00), ("1.4", 0.60, 1.00),
        ("2.1", 0.80, 1.00),
        ("3.1", 0.55, 0.95), ("3.2", 0.40, 0.90), ("3.3a", 0.25, 0.75), ("3.3b", 0.70, 1.00),
        ("3.5", 0.45, 0.95), ("3.6", 0.30, 0.85),
        ("4.1", 0.50, 1.00), ("4.2", 0.40, 0.95), ("4.3", 0.20, 0.90), ("4.4", 0.30, 0.90), ("4.5", 0.40, 0.95),
        ("5.2", 0.70, 1.00), ("5.3", 0.85, 1.00), ("5.4", 0.00, 0.06),
    ]

    /// One province's counts for one period, as (field, value) in `fields` order.
    public func counts(_ province: Province, previous: Bool, at time: Int64) -> [(String, Int64)] {
        var random = SplitMix64(seed: seed ^ StableHash.fnv1a("scorecard/\(province.code)"))
        let month = CalendarPeriod.month(containing: time)
        // The month before: complete. The current month: as far as it has gone.
        let elapsed =
            previous ? 1 : max(0.02, Double(time - month.start) / Double(month.end - month.start))
        // A drift of -6 to +6 points a month, the same for every indicator of the province.
        let drift = -0.06 + 0.12 * random.unit()
        let wobblePeriod = 180_000 + Double(random.next() % 300_000)
        let wobblePhase = 2 * Double.pi * random.unit()
        let wobble = previous ? 0 : 0.03 * sin(2 * .pi * Double(time) / wobblePeriod + wobblePhase)
        var share: [String: Double] = [:]
        for (indicator, low, high) in Self.qualities {
            let base = low + (high - low) * random.unit()
            if indicator == "5.4" {
                // A rate of complained-about dossiers: lower is better.
                share[indicator] = max(0, base - (previous ? 0 : drift / 4) - wobble / 2)
            } else {
                share[indicator] = min(1, max(0, base + (previous ? 0 : drift + wobble)))
            }
        }
        func part(_ total: Int64, _ indicator: String) -> Int64 {
            Int64((Double(total) * share[indicator, default: 0]).rounded())
        }
        let procedures = 1200 + Int64(random.next() % 800)
        let perMonth = 2_000 + Double(random.next() % 38_000)
        // One province in eleven had no feedback at all: indicator 5.2 has no data there.
        let noFeedback = random.next() % 11 == 0

        let received = Int64(perMonth * elapsed)
        let processed = Int64(Double(received) * 0.9)
        let onTime = part(processed, "2.1")
        let eligible = procedures * 9 / 10
        let online = part(eligible, "3.1")
        let withFee = procedures * 2 / 5
        let dossiersWithFee = received / 2
        let reported = procedures + Int64(random.next() % 40)
        let feedback = noFeedback ? 0 : max(1, received / 100)
        let late = processed - onTime
        let complaints = Int64((Double(received) * share["5.4", default: 0] * 0.2).rounded())
        let values: [Int64] = [
            procedures, part(procedures, "1.1"), part(procedures, "1.2"), part(procedures, "1.3"),
            reported, part(reported, "1.4"),
            processed, onTime, late,
            eligible, online, part(online, "3.2"),
            received, part(received, "3.3a"), part(received, "3.3b"),
            withFee, part(withFee, "3.5"), dossiersWithFee, part(dossiersWithFee, "3.6"),
            processed, part(processed, "4.1"), part(received, "4.2"), part(received, "4.3"), part(received, "4.4"),
            part(received, "4.5"),
            feedback, part(feedback, "5.2"), received - part(received, "5.3"), complaints,
        ]
        return Array(zip(Self.fields, values))
    }

    /// The feed document: `{"periods": {...}, "items": [{province, province_code, period, <fields>}]}`.
    public func json(at time: Int64) -> String {
        let month = CalendarPeriod.month(containing: time)
        var items: [String] = []
        for province in provinces {
            for previous in [false, true] {
                let fields = counts(province, previous: previous, at: time).map { "\"\($0.0)\":\($0.1)" }
                items.append(
                    "{\"province_code\":\"\(province.code)\",\"province\":\"\(province.name)\","
                        + "\"period\":\"\(previous ? "previous" : "current")\","
                        + "\"month\":\"\(previous ? month.previous : month)\","
                        + fields.joined(separator: ",") + "}")
            }
        }
        return "{\"generated_at_ms\":\(time),\"periods\":{\"current\":\"\(month)\","
            + "\"previous\":\"\(month.previous)\"},\"items\":[\(items.joined(separator: ","))]}"
    }

    /// The `json:` block of a feed target for this document, indented by `indent` spaces.
    public static func probeMapping(indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var text = "\(pad)json:\n\(pad)  items: '$.items[*]'\n"
        text += "\(pad)  labels: { province: '$.province', province_code: '$.province_code', period: '$.period' }\n"
        text += "\(pad)  metrics:\n"
        for field in fields { text += "\(pad)    dvc_\(field): '$.\(field)'\n" }
        return text
    }
}

/// The data-sharing connections of the simulated provinces, as an LGSP gateway would report them:
/// per connection, when it last exchanged successfully, how many records it has exchanged, how many
/// it is expected to exchange an hour, and when its credential (client certificate) expires.
/// One connection has stalled (for one to seven hours, depending on the time of day), one moves a
/// fifth of what it should, and one credential expires within days.
public struct SimulatedExchanges: Sendable {
    public let seed: UInt64
    public let provinces: [Province]

    public init(seed: UInt64, provinces: [Province]) {
        self.seed = seed
        self.provinces = provinces
    }

    /// Connection id and the system at its other end.
    public static let connections = [
        ("ndxp", "Nền tảng NDXP"), ("population", "CSDL Dân cư"), ("dvc-portal", "Cổng DVC quốc gia"),
    ]

    public func json(at time: Int64) -> String {
        var random = SplitMix64(seed: seed ^ StableHash.fnv1a("exchange"))
        let all = provinces.flatMap { province in Self.connections.map { (province, $0.0, $0.1) } }
        guard !all.isEmpty else { return "{\"connections\":[]}" }
        let stalled = Int(random.next() % UInt64(all.count))
        let slow = (stalled + 1 + Int(random.next() % UInt64(max(1, all.count - 1)))) % all.count
        let expiring = Int(random.next() % UInt64(all.count))
        var items: [String] = []
        for (index, (province, id, peer)) in all.enumerated() {
            var own = SplitMix64(seed: seed ^ StableHash.fnv1a("exchange/\(province.code)/\(id)"))
            let perHour = 200 + Double(own.next() % 4_800)
            let share = index == slow ? 0.2 : 0.95 + 0.1 * own.unit()
            // Exchanges run every minute; the stalled one stopped at the last 6-hour mark but one.
            let minute = time / 60_000 * 60_000
            let lastSuccess = index == stalled ? minute / 21_600_000 * 21_600_000 - 3_600_000 : minute
            let records = perHour * share * Double(max(0, lastSuccess - SimulatedWorld.feedEpoch)) / 3_600_000
            let days = index == expiring ? 5 + Double(own.next() % 3) : 60 + Double(own.next() % 300)
            let expiry = (time + Int64(days * 86_400_000)) / 86_400_000 * 86_400
            items.append(
                "{\"province_code\":\"\(province.code)\",\"province\":\"\(province.name)\",\"connection\":\"\(id)\","
                    + "\"peer\":\"\(peer)\",\"last_success_unix\":\(lastSuccess / 1000),"
                    + "\"records_total\":\(Int64(records)),\"expected_per_hour\":\(Int64(perHour)),"
                    + "\"credential_expiry_unix\":\(expiry)}")
        }
        return "{\"generated_at_ms\":\(time),\"connections\":[\(items.joined(separator: ","))]}"
    }
}
