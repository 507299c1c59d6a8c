import Crypto
import Foundation

public enum AuditExportFormat: String, Sendable, CaseIterable {
    case csv, jsonl
}

extension AuditExportFilter {
    /// The filter of `--from`, `--to` and `--run`: times in ISO 8601 (stored times are
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` and compare as text); a bare `--to` date takes its whole day.
    public init(fromText: String?, toText: String?, runID: String?) throws {
        func normalised(_ name: String, _ text: String?, endOfDay: Bool) throws -> String? {
            guard let text else { return nil }
            let full = endOfDay && text.count == 10 ? text + "T23:59:59Z" : text
            guard let time = ISOTimestamp.normalise(full) else { throw AuditExportError.badTime(name, text) }
            return String(time.dropLast()) + (endOfDay ? ".999Z" : ".000Z")
        }
        let from = try normalised("--from", fromText, endOfDay: false)
        let to = try normalised("--to", toText, endOfDay: true)
        if let from, let to, from > to { throw AuditExportError.emptyWindow(fromText!, toText!) }
        self.init(from: from, to: to, runID: runID)
    }
}

/// A filter that cannot select anything sensible.
public enum AuditExportError: LocalizedError, ClassifiedError, Equatable {
    case badTime(String, String)
    case emptyWindow(String, String)
    case noSuchRun(String)

    public var errorDescription: String? {
        switch self {
        case .badTime(let flag, let text): "\(flag) must be an ISO 8601 time (like 2026-11-24 or 2026-11-24T08:00:00Z), not \(text)"
        case .emptyWindow(let from, let to): "--from \(from) is later than --to \(to): nothing could be exported"
        case .noSuchRun(let id): "no run \(id) in this database (mdmbatch status lists them)"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .badTime, .emptyWindow: .usage
        case .noSuchRun: .noInput
        }
    }
}

/// Streams audit rows out: CSV for spreadsheets (every cell that a spreadsheet could take
/// for a formula is prefixed with `'`), JSONL losslessly (every column, `detail` as the
/// exact text that was hashed).
public enum AuditExport {
    public static let columns = ["seq", "at", "run_id", "actor", "event", "device_id", "action", "outcome", "reason",
                                 "detail", "prev_hash", "hash"]

    /// Writes the rows to `write`; returns how many and the sha256 of the bytes written.
    public static func export(_ reader: StoreReader, filter: AuditExportFilter, format: AuditExportFormat,
                              write: (String) throws -> Void) throws -> (rows: Int, sha256: String) {
        var hasher = SHA256()
        func emit(_ text: String) throws {
            hasher.update(data: Array(text.utf8))
            try write(text)
        }
        if format == .csv { try emit(columns.joined(separator: ",") + "\r\n") }
        var count = 0
        try reader.forEachAuditRecord(filter) { record in
            let values: [String?] = [String(record.seq), record.at, record.runID, record.actor, record.event, record.deviceID,
                                     record.action, record.outcome, record.reason, record.detail, record.prevHash, record.hash]
            switch format {
            case .csv:
                try emit(values.map { CSVText.neutralisedCell($0 ?? "") }.joined(separator: ",") + "\r\n")
            case .jsonl:
                var line = "{\"seq\":\(record.seq)"
                for (index, name) in columns.enumerated().dropFirst() {
                    line += ",\"\(name)\":" + JSONText.quote(values[index])
                }
                try emit(line + "}\n")
            }
            count += 1
        }
        return (count, hexString(hasher.finalize()))
    }

    /// Exports the rows `filter` selects through `output` (which writes what it is given
    /// to a file or standard output, whole) and, once written, records the export in the
    /// trail; returns the number of rows. `outputName` says where they went, for the record.
    @discardableResult
    public static func run(_ database: AppDatabase, filter: AuditExportFilter, format: AuditExportFormat, actor: String,
                           outputName: String, now: () -> Date,
                           output: (((String) throws -> Void) throws -> Void) throws -> Void) throws -> Int {
        guard try database.read({ try $0.auditLogExists() }) else { throw AuditTrailError.missing }
        if let run = filter.runID, try database.read({ try $0.run(run) }) == nil { throw AuditExportError.noSuchRun(run) }
        var result = (rows: 0, sha256: "")
        try database.read { store in
            try output { write in result = try export(store, filter: filter, format: format, write: write) }
        }
        let output = outputName
        try database.write { store in
            try recordExport(store, actor: actor, filter: filter, format: format, output: output, rows: result.rows,
                             sha256: result.sha256, at: now())
        }
        return result.rows
    }

    /// Records the export in the trail (who, filter, format, row count, sha256 of the
    /// output) and seals it with a checkpoint, unless the database's checkpoints are
    /// signed and there is no key: an auditor with only the public key can export, and
    /// the next signed command seals the row.
    public static func recordExport(_ writer: StoreWriter, actor: String, filter: AuditExportFilter, format: AuditExportFormat,
                                    output: String, rows: Int, sha256: String, at time: Date) throws {
        try writer.appendAudit(.exported(actor: actor, filter: filter, format: format, output: output, rows: rows, sha256: sha256),
                               at: time, checkpoint: .whenSignable)
    }
}
