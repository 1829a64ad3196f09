import IOCCore

/// The statistics feeds of the simulated provinces: dossier counters that grow with time at a rate
/// drawn from the seed, as a JSON document and in the Prometheus text format.
struct SimulatedFeeds {
    let world: SimulatedWorld

    /// Cumulative counts of one province since the feed epoch.
    struct Counts {
        var received: Int64
        var processedOnTime: Int64
        var processedLate: Int64
        var submittedOnline: Int64
        var paidOnline: Int64
    }

    func counts(_ province: Province, at time: Int64) -> Counts {
        var random = SplitMix64(seed: world.seed ^ StableHash.fnv1a("feed/\(province.code)"))
        let perHour = 50 + Double(random.next() % 350)
        let onTimeShare = 0.85 + 0.14 * random.unit()
        let onlineShare = 0.40 + 0.50 * random.unit()
        let paidShare = 0.20 + 0.50 * random.unit()
        let hours = Double(max(0, time - SimulatedWorld.feedEpoch)) / 3_600_000
        let received = Int64(perHour * hours)
        // Processing lags reception by about a day's worth of dossiers.
        let processed = max(0, received - Int64(perHour * 24))
        let onTime = Int64(Double(processed) * onTimeShare)
        return Counts(
            received: received, processedOnTime: onTime, processedLate: processed - onTime,
            submittedOnline: Int64(Double(received) * onlineShare), paidOnline: Int64(Double(received) * paidShare))
    }

    func json(at time: Int64) -> String {
        let items = world.provinces.map { province in
            let count = counts(province, at: time)
            return "{\"province_code\":\"\(province.code)\",\"province\":\"\(province.name)\","
                + "\"received\":\(count.received),\"processed_on_time\":\(count.processedOnTime),"
                + "\"processed_late\":\(count.processedLate),\"submitted_online\":\(count.submittedOnline),"
                + "\"paid_online\":\(count.paidOnline)}"
        }
        return
            "{\"since\":\"2025-07-01T00:00:00Z\",\"generated_at_ms\":\(time),\"provinces\":[\(items.joined(separator: ","))]}"
    }

    func prometheusText(at time: Int64) -> String {
        let all = world.provinces.map { ($0, counts($0, at: time)) }
        var text = ""
        func family(_ name: String, _ help: String, _ rows: [(String, Int64)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, value) in rows { text += "\(name){\(labels)} \(value)\n" }
        }
        func labels(_ province: Province) -> String {
            "province_code=\"\(province.code)\",province=\"\(province.name)\""
        }
        family(
            "ioc_sim_dossiers_received_total", "Dossiers received since 1 July 2025.",
            all.map { (labels($0.0), $0.1.received) })
        family(
            "ioc_sim_dossiers_processed_total", "Dossiers processed since 1 July 2025, by timeliness.",
            all.flatMap {
                [
                    ("\(labels($0.0)),timeliness=\"on_time\"", $0.1.processedOnTime),
                    ("\(labels($0.0)),timeliness=\"late\"", $0.1.processedLate),
                ]
            })
        family(
            "ioc_sim_dossiers_submitted_online_total", "Dossiers submitted online since 1 July 2025.",
            all.map { (labels($0.0), $0.1.submittedOnline) })
        family(
            "ioc_sim_dossiers_paid_online_total", "Dossiers with fees paid online since 1 July 2025.",
            all.map { (labels($0.0), $0.1.paidOnline) })
        return text
    }
}
