public import IOCCore
public import IOCQuery
public import IOCStore

/// Where a dashboard's figures come from: the local store (the default), or another
/// Prometheus-compatible API (`ioc dashboard --source URL`, another iocd or a central Prometheus).
public protocol DashboardBackend: AnyObject {
    func instant(_ query: Query, at time: Int64) throws -> QueryValue
    func range(_ query: Query, start: Int64, end: Int64, step: Int64) throws -> [Series]
    func alerts() throws -> [RuleAlert]
    /// The silences, their matchers parsed (one that does not parse is left out: it silences nothing).
    func silences() throws -> [Silence]
    func alertHistory(through end: Int64, limit: Int) throws -> [AlertHistoryEntry]
}

/// The local store, through the query engine.
public final class LocalBackend: DashboardBackend {
    let reader: StoreReader
    let engine: Engine

    public init(reader: StoreReader, engine: Engine = Engine()) {
        self.reader = reader
        self.engine = engine
    }

    public func instant(_ query: Query, at time: Int64) throws -> QueryValue {
        try engine.instant(query, at: time, source: reader)
    }

    public func range(_ query: Query, start: Int64, end: Int64, step: Int64) throws -> [Series] {
        try engine.range(query, start: start, end: end, step: step, source: reader)
    }

    public func alerts() throws -> [RuleAlert] { try reader.alerts() }
    public func silences() throws -> [Silence] { try reader.silences(parsing: Selector.matchers(parsing:)) }
    public func alertHistory(through end: Int64, limit: Int) throws -> [AlertHistoryEntry] {
        try reader.alertHistory(through: end, limit: limit)
    }
}
