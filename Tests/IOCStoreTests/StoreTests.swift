import CSQLite
import Glibc
import IOCCore
@testable import IOCStore
import TestSupport
import Synchronization
import Testing

/// The store on real SQLite files in a temporary directory.
@Suite struct StoreTests {
    func labels(_ metric: String, _ pairs: [String: String]) -> Labels {
        var labels = Labels(pairs)
        labels[Labels.metricName] = metric
        return labels
    }

    @Test func samplesRoundTripExactlyThroughTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let hue = labels("probe_duration_seconds", ["province": "Huế", "service": "dvc"])
        let hanoi = labels("probe_duration_seconds", ["province": "Hà Nội", "service": "dvc"])
        let values: [Double] = [0.123456, .nan, .infinity, -.infinity, Sample.staleNaN, -0.0, 1e-300, 42]
        let written = values.enumerated().map { index, value in
            LabeledSample(labels: hue, sample: Sample(timestamp: 1_000 + Int64(index) * 15_000, value: value))
        }
        let writer = try SampleWriter(path: path)
        #expect(writer.append(written) == written.count)
        writer.append([LabeledSample(labels: hanoi, sample: Sample(timestamp: 1_000, value: 7))])
        writer.close()
        #expect(writer.statistics.written == written.count + 1)
        #expect(writer.statistics.series == 2)

        let reader = try StoreReader(path: path)
        let series = try reader.select([try LabelMatcher("province", .equal, "Huế")], from: 0, through: .max)
        #expect(series.count == 1)
        #expect(series.first?.labels == hue)
        // Sample equality compares bits: NaN payloads and the stale marker must come back unchanged.
        #expect(series.first?.samples == written.map(\.sample))
        #expect(series.first?.samples[4].isStale == true)
    }

    @Test func matchersFindSeriesThroughTheIndex() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        for province in ["Huế", "Hà Nội", "Cần Thơ"] {
            for service in ["dvc", "lgsp"] {
                writer.append([
                    LabeledSample(
                        labels: labels("probe_success", ["province": province, "service": service]),
                        sample: Sample(timestamp: 1, value: 1))
                ])
            }
        }
        writer.append([LabeledSample(labels: labels("up", ["job": "feed"]), sample: Sample(timestamp: 1, value: 1))])
        writer.close()
        let reader = try StoreReader(path: path)
        func count(_ matchers: [LabelMatcher]) throws -> Int { try reader.series(matching: matchers).count }
        let name = try LabelMatcher(Labels.metricName, .equal, "probe_success")
        #expect(try count([name]) == 6)
        #expect(try count([name, try LabelMatcher("service", .equal, "lgsp")]) == 3)
        #expect(try count([name, try LabelMatcher("province", .notEqual, "Huế")]) == 4)
        #expect(try count([try LabelMatcher("province", .matchesRegex, "H.*")]) == 4)
        #expect(try count([name, try LabelMatcher("province", .doesNotMatchRegex, "H.*|C.*")]) == 0)
        #expect(try count([try LabelMatcher("job", .equal, "feed")]) == 1)
        #expect(try count([try LabelMatcher(Labels.metricName, .equal, "nothing")]) == 0)
    }

    @Test func labelNamesAndValuesComeFromTheIndex() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        for (metric, province) in [("up", "Huế"), ("up", "Cần Thơ"), ("probe_success", "Huế")] {
            writer.append([
                LabeledSample(labels: labels(metric, ["province": province]), sample: Sample(timestamp: 1, value: 1))
            ])
        }
        writer.append([LabeledSample(labels: labels("up", ["job": "feeds"]), sample: Sample(timestamp: 1, value: 1))])
        writer.close()
        let reader = try StoreReader(path: path)
        #expect(try reader.labelNames() == ["__name__", "job", "province"])
        #expect(try reader.labelValues("province") == ["Cần Thơ", "Huế"])
        #expect(try reader.labelValues("__name__") == ["probe_success", "up"])
        #expect(try reader.labelValues("nothing").isEmpty)
    }

    @Test func aRangeSelectsOnlyItsSamplesAndDataSurvivesReopening() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let series = labels("probe_success", ["job": "a"])
        for round in 0..<2 {
            let writer = try SampleWriter(path: path)
            writer.append(
                (0..<10).map {
                    LabeledSample(
                        labels: series, sample: Sample(timestamp: Int64(round * 10 + $0) * 1000, value: Double($0)))
                })
            writer.close()
        }
        let reader = try StoreReader(path: path)
        let found = try reader.select([try LabelMatcher("job", .equal, "a")], from: 5_000, through: 14_000)
        #expect(found.first?.samples.map(\.timestamp) == (5...14).map { Int64($0) * 1000 })
        #expect(try reader.series(matching: [try LabelMatcher("job", .equal, "a")]).count == 1)
    }

    @Test func flushMakesSamplesVisibleToAnotherConnection() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path, flushInterval: .seconds(60))
        let reader = try StoreReader(path: path)
        writer.append([LabeledSample(labels: labels("up", ["job": "x"]), sample: Sample(timestamp: 5, value: 1))])
        writer.flush()
        #expect(
            try reader.select([try LabelMatcher("job", .equal, "x")], from: 0, through: 10).first?.samples.count == 1)
        writer.close()
    }

    @Test func aFullBufferDropsAndCounts() throws {
        let directory = try TemporaryDirectory()
        // A long flush interval keeps the writer from draining the buffer during the test.
        // What is dropped is told at most once a minute, with everything dropped since.
        let clock = ManualClock(1_000)
        let told = Mutex<[Int]>([])
        let writer = try SampleWriter(
            path: directory.file("ioc.db"), capacity: 10, flushInterval: .seconds(60), clock: clock.function,
            onQueueFull: { dropped in told.withLock { $0.append(dropped) } })
        let batch = (0..<25).map {
            LabeledSample(labels: labels("up", ["job": "x"]), sample: Sample(timestamp: Int64($0), value: 1))
        }
        #expect(writer.append(batch) == 10)
        #expect(writer.statistics.dropped == 15)
        #expect(writer.append(Array(batch.prefix(3))) == 0)
        clock.set(61_000)
        #expect(writer.append(Array(batch.prefix(4))) == 0)
        #expect(told.withLock { $0 } == [15, 7])
        writer.close()
        #expect(writer.statistics.written == 10)
        #expect(writer.append(batch) == 0)
        #expect(writer.statistics.dropped == 47)
    }

    @Test func aMissingFileIsAnErrorAndIsNotCreated() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("missing.db")
        let error = #expect(throws: StoreError.self) { try StoreReader(path: path) }
        #expect(
            error?.description
                == "store \(path): no such file; is iocd writing its store elsewhere? (see --db and $IOC_DB)")
        #expect(access(path, F_OK) != 0)
    }

    @Test func aFileFromANewerVersionIsRefusedAndLeftAlone() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        try SampleWriter(path: path).close()
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, "PRAGMA user_version = 99", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)

        let writeError = #expect(throws: StoreError.self) { try SampleWriter(path: path) }
        #expect(writeError?.message.contains("newer IOC") == true)
        #expect(throws: StoreError.self) { try StoreReader(path: path) }
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(handle, "PRAGMA user_version", -1, &statement, nil)
        sqlite3_step(statement)
        #expect(sqlite3_column_int(statement, 0) == 99)
        sqlite3_finalize(statement)
        sqlite3_close(handle)
    }

    @Test func anEmptyFileIsNotYetAStore() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("empty.db", "")
        let error = #expect(throws: StoreError.self) { try StoreReader(path: path) }
        #expect(error?.message.contains("has not initialised it yet") == true)
    }

    @Test func aFileThatIsNotAStoreIsRefused() throws {
        let directory = try TemporaryDirectory()
        let text = try directory.write("notes.db", "these are not the samples you are looking for\n")
        #expect(throws: StoreError.self) { try SampleWriter(path: text) }
        #expect(throws: StoreError.self) { try StoreReader(path: text) }
    }
}

@Suite struct OpenMetricsExportTests {
    @Test func writesGroupedSeriesWithTimestampsAndEOF() {
        var text = ""
        let count = OpenMetricsExport.write(
            [
                Series(
                    labels: Labels(["__name__": "up", "job": "b"]),
                    samples: [Sample(timestamp: 1_000, value: 1), Sample(timestamp: 2_500, value: Sample.staleNaN)]),
                Series(
                    labels: Labels(["__name__": "probe_duration_seconds", "province": "Huế", "note": "a \"b\"\nc"]),
                    samples: [Sample(timestamp: -5, value: 0.042), Sample(timestamp: 15_005, value: .infinity)]),
                Series(
                    labels: Labels(["__name__": "up", "job": "a"]), samples: [Sample(timestamp: 1_000, value: .nan)]),
            ], metadata: ["up": MetricMetadata(type: "gauge", help: "Whether the\nfeed answered.")]
        ) { text += $0 }
        #expect(count == 4)
        #expect(
            text == """
                # TYPE probe_duration_seconds unknown
                probe_duration_seconds{note="a \\"b\\"\\nc",province="Huế"} 0.042 -0.005
                probe_duration_seconds{note="a \\"b\\"\\nc",province="Huế"} +Inf 15.005
                # TYPE up unknown
                # HELP up Whether the\\nfeed answered.
                up{job="a"} NaN 1.000
                up{job="b"} 1 1.000
                # EOF

                """)
    }
}

@Suite struct StoreMetadataAndMigrationTests {
    @Test func metadataIsKeptAndMissingFieldsDoNotEraseKnownOnes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        writer.record(metadata: ["http_requests_total": MetricMetadata(type: "counter", help: "Requests.", unit: nil)])
        writer.flush()
        writer.record(metadata: [
            "http_requests_total": MetricMetadata(type: nil, help: "Requests served.", unit: "requests")
        ])
        writer.close()
        let stored = try StoreReader(path: path).metadata()
        #expect(
            stored["http_requests_total"] == MetricMetadata(type: "counter", help: "Requests served.", unit: "requests")
        )
    }

    /// The tables of schema version 1 (and, with `chunks_*`, of version 3), as those versions made them.
    static let oldTables = """
        CREATE TABLE series (id INTEGER PRIMARY KEY, labels TEXT NOT NULL UNIQUE, metric TEXT NOT NULL,
            pairs BLOB NOT NULL);
        CREATE TABLE postings (name TEXT NOT NULL, value TEXT NOT NULL, series_id INTEGER NOT NULL,
            PRIMARY KEY (name, value, series_id)) WITHOUT ROWID;
        CREATE TABLE samples (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value INTEGER NOT NULL,
            PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
        """

    func execute(_ path: String, _ sql: String) {
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        #expect(status == SQLITE_OK, "\(message.map { String(cString: $0) } ?? "")")
        sqlite3_close(handle)
    }

    func seriesRow(_ id: Int, _ labels: Labels) -> String {
        let hex = StoreSchema.encode(labels).map { String(format: "%02X", $0) }.joined()
        let postings = labels.pairs.map { "INSERT INTO postings VALUES ('\($0.name)', '\($0.value)', \(id));" }
        return "INSERT INTO series VALUES (\(id), '\(labels.description)', '\(labels.metric ?? "")', X'\(hex)');"
            + postings.joined()
    }

    @Test func aVersion1FileIsMigratedForwardWithItsData() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let labels = Labels(["__name__": "up", "job": "old"])
        // Samples a row each, over two hours, as version 1 kept them.
        let samples = (0..<300).map { Sample(timestamp: 1_790_000_000_000 + Int64($0) * 30_000, value: Double($0 % 3)) }
        let rows = samples.map {
            "INSERT INTO samples VALUES (1, \($0.timestamp), \(Int64(bitPattern: $0.value.bitPattern)));"
        }
        execute(
            path,
            StoreMetadataAndMigrationTests.oldTables + seriesRow(1, labels) + rows.joined()
                + "PRAGMA application_id = \(0x494F_4331); PRAGMA user_version = 1;")

        // A reader does not migrate: it says what to do and leaves the file alone.
        let refusal = #expect(throws: StoreError.self) { try StoreReader(path: path) }
        #expect(refusal?.message.contains("older IOC") == true)
        #expect(sqlitePragma(path, "user_version") == 1)

        let migrated = try SampleWriter(path: path)
        migrated.record(metadata: ["up": MetricMetadata(type: "gauge")])
        // The migrated series keeps refusing samples at or before its last one.
        migrated.append([LabeledSample(labels: labels, sample: samples[10])])
        migrated.close()
        #expect(migrated.statistics.outOfOrder == 1)
        #expect(sqlitePragma(path, "user_version") == StoreSchema.version)
        let reader = try StoreReader(path: path)
        #expect(try reader.metadata()["up"]?.type == "gauge")
        #expect(
            try reader.select([try LabelMatcher("job", .equal, "old")], from: .min, through: .max).first?.samples
                == samples)
        #expect(sqliteIntegrityCheck(path) == "ok")
    }

    @Test func aVersion3FileIsMigratedWithItsChunksAndOpenSamples() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let labels = Labels(["__name__": "probe_duration_seconds", "job": "v3"])
        let samples = (0..<200).map {
            Sample(timestamp: 1_790_000_000_000 + Int64($0) * 15_000, value: Double($0 * 7 % 1000) / 1000)
        }
        let chunk = ChunkCodec.encode(Array(samples[0..<120])).map { String(format: "%02X", $0) }.joined()
        let open = samples[120...].map {
            "INSERT INTO samples VALUES (1, \($0.timestamp), \(Int64(bitPattern: $0.value.bitPattern)));"
        }
        let day = samples[0].timestamp / 86_400_000
        execute(
            path,
            StoreMetadataAndMigrationTests.oldTables + seriesRow(1, labels)
                + """
                CREATE TABLE partitions (name TEXT PRIMARY KEY, start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE metadata (metric TEXT PRIMARY KEY, type TEXT, help TEXT, unit TEXT) WITHOUT ROWID;
                CREATE TABLE chunks_\(day) (series_id INTEGER NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (series_id, min_ts)) WITHOUT ROWID;
                CREATE TABLE rollups_\(day) (series_id INTEGER NOT NULL, resolution INTEGER NOT NULL, start_ts INTEGER NOT NULL,
                    min INTEGER NOT NULL, max INTEGER NOT NULL, sum INTEGER NOT NULL, count INTEGER NOT NULL,
                    last_ts INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (series_id, resolution, start_ts)) WITHOUT ROWID;
                INSERT INTO partitions VALUES ('chunks_\(day)', \(day * 86_400_000), \(day * 86_400_000 + 86_399_999));
                INSERT INTO chunks_\(day) VALUES (1, \(samples[0].timestamp), \(samples[119].timestamp), 120, X'\(chunk)');
                INSERT INTO metadata VALUES ('probe_duration_seconds', 'gauge', 'How long the probe took.', 'seconds');
                """
                + open.joined() + "PRAGMA application_id = \(0x494F_4331); PRAGMA user_version = 3;")

        try SampleWriter(path: path).close()
        #expect(sqlitePragma(path, "user_version") == StoreSchema.version)
        let reader = try StoreReader(path: path)
        #expect(
            try reader.select([try LabelMatcher("job", .equal, "v3")], from: .min, through: .max).first?.samples
                == samples)
        #expect(try reader.metadata()["probe_duration_seconds"]?.unit == "seconds")
        #expect(sqliteIntegrityCheck(path) == "ok")
    }

    /// A version 9 file (labels as text in each series row and in `postings`) is read as it is,
    /// and the next writer gives it symbols: the same series, ids and samples, a smaller file.
    @Test func aVersion9FileIsReadAndMigratedToSymbols() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let all = (0..<40).map {
            Labels(["__name__": "probe_success", "instance": "https://t\($0).gov.vn/", "phase": "tls"])
        }
        let start: Int64 = 1_790_000_000_000
        let writer = try SampleWriter(path: path)
        writer.append(all.map { LabeledSample(labels: $0, sample: Sample(timestamp: start, value: 1)) })
        // A later hour, so that the first is closed into a partition.
        writer.append(all.map { LabeledSample(labels: $0, sample: Sample(timestamp: start + 7_200_000, value: 2)) })
        writer.close()
        #expect(writer.statistics.chunks >= all.count)
        // Back to version 9's tables, through SQL as version 9 made them.
        var rows = ""
        for (labels, found) in try StoreReader(path: path).series(matching: []).map({ ($0.labels, $0.id) }) {
            let hex = StoreSchema.encode(labels).map { String(format: "%02X", $0) }.joined()
            rows +=
                "INSERT INTO series VALUES (\(found), \(Int64(bitPattern: labels.fingerprint.first)), '\(labels.metric ?? "")', X'\(hex)');"
            rows += labels.pairs.map { "INSERT INTO postings VALUES ('\($0.name)', '\($0.value)', \(found));" }.joined()
        }
        execute(
            path,
            """
            DROP TABLE series; DROP TABLE symbols;
            ALTER TABLE \(Partitions.name(ofDay: Partitions.day(of: start))) ADD COLUMN summary BLOB NOT NULL DEFAULT x'';
            CREATE TABLE series (id INTEGER PRIMARY KEY, key INTEGER NOT NULL, metric TEXT NOT NULL, pairs BLOB NOT NULL);
            CREATE INDEX series_by_key ON series (key);
            CREATE TABLE postings (name TEXT NOT NULL, value TEXT NOT NULL, series_id INTEGER NOT NULL,
                PRIMARY KEY (name, value, series_id)) WITHOUT ROWID;
            \(rows) PRAGMA user_version = 9;
            """)
        let before = try StoreReader(path: path).series(matching: [])
        #expect(Set(before.map(\.labels)) == Set(all))
        #expect(try StoreReader(path: path).labelValues("phase") == ["tls"])
        #expect(sqlitePragma(path, "user_version") == 9)

        let migrated = try SampleWriter(path: path)
        migrated.append(all.map { LabeledSample(labels: $0, sample: Sample(timestamp: start + 7_215_000, value: 0)) })
        migrated.close()
        #expect(sqlitePragma(path, "user_version") == StoreSchema.version)
        #expect(migrated.statistics.series == 0 && migrated.statistics.written == all.count)
        let reader = try StoreReader(path: path)
        let after = try reader.series(matching: [])
        #expect(after.map(\.id) == before.map(\.id) && after.map(\.labels) == before.map(\.labels))
        #expect(try reader.labelNames() == ["__name__", "instance", "phase"])
        let one = try reader.select(
            [try LabelMatcher("instance", .equal, "https://t7.gov.vn/")], from: .min, through: .max)
        #expect(one.first?.samples.map(\.value) == [1, 2, 0])
        #expect(
            sqliteScalar(
                path, "SELECT count(*) FROM pragma_table_info('\(Partitions.name(ofDay: Partitions.day(of: start)))')")
                == 2)
        #expect(sqliteIntegrityCheck(path) == "ok")
    }
}

/// kill -9 of a writer in the middle of ingest while hours close every few seconds, three times
/// over the same file: the file stays sound and every sample a reader saw before the kill is there.
@Suite struct StoreCrashTests {
    func seen(_ path: String) -> [Labels: Set<Sample>] {
        guard let reader = try? StoreReader(path: path),
            let series = try? reader.select(
                [try LabelMatcher("__name__", .equal, "crash_load")], from: .min, through: .max)
        else { return [:] }
        return Dictionary(uniqueKeysWithValues: series.map { ($0.labels, Set($0.samples)) })
    }

    /// Rows in the day partitions: series' hours closed.
    func closedChunks(_ path: String) -> Int {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { return 0 }
        defer { sqlite3_close(handle) }
        var tables: OpaquePointer?
        sqlite3_prepare_v2(handle, "SELECT name FROM partitions", -1, &tables, nil)
        var names: [String] = []
        while sqlite3_step(tables) == SQLITE_ROW { names.append(String(cString: sqlite3_column_text(tables, 0))) }
        sqlite3_finalize(tables)
        var total = 0
        for name in names {
            var count: OpaquePointer?
            sqlite3_prepare_v2(handle, "SELECT count(*) FROM \(name)", -1, &count, nil)
            if sqlite3_step(count) == SQLITE_ROW { total += Int(sqlite3_column_int64(count, 0)) }
            sqlite3_finalize(count)
        }
        return total
    }

    @Test func aWriterKilledWhileHoursCloseLosesNothingCommitted() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        var start: Int64 = 20_400 * 86_400_000 + 1_234_000
        var before = 0
        for round in 1...3 {
            let child = try TestProcess(
                try BuiltProduct.path("ioc-bench"),
                ["crashload", "--path", path, "--series", "100", "--start", String(start)])
            // More than two hours of data since the last round: at least two hours have closed.
            let grew = await waitUntil(timeout: .seconds(60)) {
                seen(path).values.reduce(0) { $0 + $1.count } >= before + 100 * 240 * 2
            }
            #expect(grew, "round \(round): \(child.standardError)")
            let committed = seen(path)
            child.signal(SIGKILL)
            _ = await child.exitStatus()
            #expect(sqliteIntegrityCheck(path) == "ok")
            let after = seen(path)
            for (labels, samples) in committed {
                let lost = samples.subtracting(after[labels] ?? [])
                #expect(lost.isEmpty, "round \(round): \(lost.count) committed samples of \(labels) lost")
            }
            #expect(closedChunks(path) >= round * 100 * 2, "round \(round): hours closed before the kill")
            before = after.values.reduce(0) { $0 + $1.count }
            start = (after.values.flatMap { $0.map(\.timestamp) }.max() ?? start) + 15_000
        }
        #expect(seen(path).values.reduce(0) { $0 + $1.count } >= 3 * 100 * 240 * 2)
    }
}
