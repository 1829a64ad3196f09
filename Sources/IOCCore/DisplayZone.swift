import Foundation
import Synchronization

/// The time zone people read times in: the dashboard's clock, `ioc`'s tables. iocd.yaml's
/// `time_zone` (default Asia/Ho_Chi_Minh, UTC+7 without daylight saving), or UTC with `--utc`.
/// One per process, set once at start (`DisplayZone.current`), so that every command and panel
/// shows the same time.
public struct DisplayZone: Sendable, Equatable {
    public let identifier: String
    private let zone: TimeZone

    /// nil for a name the system's time-zone database does not know.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    public static let vietnam = DisplayZone(identifier: "Asia/Ho_Chi_Minh") ?? .utc
    public static let utc = DisplayZone(fixed: "UTC")

    private init(fixed identifier: String) {
        self.identifier = identifier
        zone = TimeZone(secondsFromGMT: 0) ?? .current
    }

    private static let shared = Mutex(DisplayZone.vietnam)

    /// The process's display zone.
    public static var current: DisplayZone {
        get { shared.withLock { $0 } }
        set { shared.withLock { $0 = newValue } }
    }

    /// Seconds east of UTC at `milliseconds` (a zone with daylight saving changes it).
    public func offsetSeconds(at milliseconds: Int64) -> Int {
        guard identifier != "UTC" else { return 0 }
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// `+07`, `+0530`, `-03`, or `UTC`: how a time in this zone is marked.
    public func suffix(at milliseconds: Int64) -> String {
        let offset = offsetSeconds(at: milliseconds)
        guard identifier != "UTC" else { return "UTC" }
        let hours = abs(offset) / 3600
        let minutes = abs(offset) / 60 % 60
        let sign = offset < 0 ? "-" : "+"
        return sign + (hours < 10 ? "0" : "") + "\(hours)"
            + (minutes == 0 ? "" : (minutes < 10 ? "0" : "") + "\(minutes)")
    }

    /// Milliseconds shifted to this zone's wall clock (for formatting as if it were UTC).
    public func local(_ milliseconds: Int64) -> Int64 {
        milliseconds.addingReportingOverflow(Int64(offsetSeconds(at: milliseconds)) * 1000).overflow
            ? milliseconds : milliseconds + Int64(offsetSeconds(at: milliseconds)) * 1000
    }
}
