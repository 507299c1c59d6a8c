import Foundation

/// The formats of a run report.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, html
}

/// Reads runs and writes their reports: the entry point of `status` and `report`.
public enum RunReports {
    /// One run and its counts, or every run (the latest first) when `runID` is nil.
    public static func status(_ database: AppDatabase, runID: String?) throws -> [RunStatus] {
        try database.read { store in
            let records = try runID.map { id in
                guard let run = try store.run(id) else { throw ReportError.noSuchRun(id) }
                return [run]
            } ?? store.runs()
            return try records.map { RunStatus(run: $0, summary: try store.summary(of: $0)) }
        }
    }

    /// The report of `runID` in `format`, written piece by piece to `write`. Text and HTML
    /// list `rows` of what did not succeed; JSON always every element.
    public static func write(_ database: AppDatabase, runID: String, format: ReportFormat, rows: ReportRows = .standard,
                             to write: (String) throws -> Void) throws {
        try database.read { store in
            guard let run = try store.run(runID) else { throw ReportError.noSuchRun(runID) }
            let summary = try store.summary(of: run)
            switch format {
            case .json: try RunReportJSON.write(run: run, summary: summary, store: store, to: write)
            case .text: try RunReportText.write(run: run, summary: summary, store: store, rows: rows, to: write)
            case .html: try RunReportHTML.write(run: run, summary: summary, store: store, rows: rows, to: write)
            }
        }
    }

    /// The latest run of the batch file at `path` (by its sha256) when it is finished: a
    /// spool files such a batch without sending it again.
    public static func finishedRun(ofBatchAt path: String, _ database: AppDatabase) throws -> RunRecord? {
        let source = try ByteSource(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        while try source.read(into: buffer) > 0 {}
        let sha256 = source.finishDigest()
        return try database.read { store in
            guard let run = try store.latestRun(batchSHA256: sha256), run.state == .finished else { return nil }
            return run
        }
    }
}

/// A report asked for something the database does not hold.
public enum ReportError: LocalizedError, ClassifiedError, Equatable {
    case noSuchRun(String)

    public var errorDescription: String? {
        switch self {
        case .noSuchRun(let id): "no run \(id) in this database (mdmbatch status lists them)"
        }
    }

    public var failureKind: FailureKind { .noInput }
}
