import Crypto
import Foundation
import GRDB

/// Which rows an export takes: `at` within [from, to] (ISO 8601, compared as UTC text),
/// and one run.
public struct AuditExportFilter: Sendable, Equatable {
    public var from: String?
    public var to: String?
    public var runID: String?

    public init(from: String? = nil, to: String? = nil, runID: String? = nil) {
        self.from = from
        self.to = to
        self.runID = runID
    }

    var json: JSONValue {
        .object(["from": from.map(JSONValue.string) ?? .null, "to": to.map(JSONValue.string) ?? .null,
                 "run": runID.map(JSONValue.string) ?? .null])
    }
}

public enum AuditExportFormat: String, Sendable, CaseIterable {
    case csv, jsonl
}

/// Streams audit rows out: CSV for spreadsheets (every cell that a spreadsheet could take
/// for a formula is prefixed with `'`), JSONL losslessly (every column, `detail` as the
/// exact text that was hashed).
public enum AuditExport {
    public static let columns = ["seq", "at", "run_id", "actor", "event", "device_id", "action", "outcome", "reason",
                                 "detail", "prev_hash", "hash"]

    /// Writes the rows to `write`; returns how many and the sha256 of the bytes written.
    public static func export(_ db: Database, filter: AuditExportFilter, format: AuditExportFormat,
                              write: (String) throws -> Void) throws -> (rows: Int, sha256: String) {
        var hasher = SHA256()
        func emit(_ text: String) throws {
            hasher.update(data: Array(text.utf8))
            try write(text)
        }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let from = filter.from { conditions.append("at >= ?"); arguments += [from] }
        if let to = filter.to { conditions.append("at <= ?"); arguments += [to] }
        if let run = filter.runID { conditions.append("run_id = ?"); arguments += [run] }
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM audit_log"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY seq"
        if format == .csv { try emit(columns.joined(separator: ",") + "\r\n") }
        var count = 0
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let seq: Int64 = row[0]
            let values: [String?] = [String(seq)] + (1..<columns.count).map { row[$0] as String? }
            switch format {
            case .csv:
                try emit(values.map { csvCell($0 ?? "") }.joined(separator: ",") + "\r\n")
            case .jsonl:
                var line = "{\"seq\":\(seq)"
                for (index, name) in columns.enumerated().dropFirst() {
                    line += ",\"\(name)\":" + JSONText.quote(values[index])
                }
                try emit(line + "}\n")
            }
            count += 1
        }
        return (count, hexString(hasher.finalize()))
    }

    /// A CSV cell (RFC 4180), neutralised: a value beginning with `=`, `+`, `-`, `@`, tab,
    /// CR or LF gets a leading `'` so that no spreadsheet runs it as a formula.
    public static func csvCell(_ value: String) -> String {
        var text = value
        if let first = text.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"),
                                          0x09, 0x0D, 0x0A].contains(first) {
            text = "'" + text
        }
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Records the export in the trail (who, filter, format, row count, sha256 of the
    /// output) and seals it with a checkpoint.
    public static func recordExport(_ db: Database, actor: String, filter: AuditExportFilter, format: AuditExportFormat,
                                    output: String, rows: Int, sha256: String, at time: Date) throws {
        try AuditLog.append(AuditEvent(event: "export", actor: actor, outcome: "exported", detail: [
            "filter": filter.json, "format": .string(format.rawValue), "output": .string(output),
            "rows": .number(Double(rows)), "sha256": .string(sha256),
        ]), at: time, in: db, checkpoint: true)
    }
}
