import Foundation
import GRDB
import GRDBSQLite

/// What to import, from where, and how strictly.
public struct ImportRequest: Sendable {
    public var kind: InventoryKind
    /// A path, or `-` for standard input.
    public var path: String
    public var format: ImportFormat
    /// Import the good rows and list the bad ones, instead of refusing the file.
    public var skipInvalid: Bool
    /// Who imports (recorded in `imports` and the audit trail).
    public var actor: String

    public init(kind: InventoryKind, path: String, format: ImportFormat = .auto, skipInvalid: Bool = false, actor: String) {
        self.kind = kind
        self.path = path
        self.format = format
        self.skipInvalid = skipInvalid
        self.actor = actor
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var importID: Int64
    public var kind: InventoryKind
    public var file: String
    public var format: ImportFormat
    public var sha256: String
    public var rows: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var skipped: Int
}

/// Imports a users or devices file into the store in one transaction: every row, or
/// (without `skipInvalid`) nothing at all when any row is bad.
public enum InventoryImporter {
    public static func run(
        _ request: ImportRequest,
        into database: AppDatabase,
        now: @Sendable () -> Date = { Date() },
        onSkip: (SkippedRow) -> Void = { _ in }
    ) throws -> ImportSummary {
        switch request.kind {
        case .users: try run(UserSchema.self, request, database, now, onSkip)
        case .devices: try run(DeviceSchema.self, request, database, now, onSkip)
        }
    }

    private static func run<Schema: InventorySchema>(
        _ schema: Schema.Type, _ request: ImportRequest, _ database: AppDatabase,
        _ now: () -> Date, _ onSkip: (SkippedRow) -> Void
    ) throws -> ImportSummary {
        guard ImportFormat.accepted(for: Schema.kind).contains(request.format) else {
            throw ImportError.unsupportedFormat(
                "\(Schema.kind.rawValue) cannot be imported as \(request.format.rawValue); use one of "
                    + ImportFormat.accepted(for: Schema.kind).map(\.rawValue).joined(separator: ", "))
        }
        let source = try ByteSource(path: request.path)
        var format = request.format
        if format == .auto {
            format = ImportFormat.sniff(try source.peek(4096))
            if format == .graphJSON && Schema.kind == .users { format = .jsonl }
        }
        let started = now()

        return try database.write { db in
            // A larger page cache for the bulk write (flat: it does not grow with the file).
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size")!
            try db.execute(sql: "PRAGMA cache_size = -16000")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            let importID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM imports")!
            let countSQL = "SELECT count(*) FROM \(Schema.table)"
            let before = try Int.fetchOne(db, sql: countSQL)!
            // Into an empty table, build the secondary indexes once at the end (a sort)
            // instead of updating them row by row; DDL is part of the transaction.
            let deferredIndexes = before == 0 ? try Self.dropSecondaryIndexes(of: Schema.table, db) : []
            var writer: UpsertWriter<Schema>?
            let makeWriter = { (format: ImportFormat, present: [Bool]) throws -> UpsertWriter<Schema> in
                let made = try UpsertWriter<Schema>(db: db, importID: importID, file: source.displayName, format: format,
                                                    presentFields: present)
                writer = made
                return made
            }
            var skipped = 0
            let skip: (SkippedRow) throws -> Void = { row in
                guard request.skipInvalid else { throw ImportError.malformed(row.location, row.message) }
                skipped += 1
                onSkip(row)
            }

            let resolvedFormat: ImportFormat
            switch format {
            case .csv, .intuneCSV, .auto:
                resolvedFormat = try CSVRecords.read(source, preferred: format, makeWriter: makeWriter, skip: skip)
            case .graphJSON:
                resolvedFormat = format
                try JSONRecords.readDocument(source, makeWriter: makeWriter, skip: skip)
            case .jsonl:
                resolvedFormat = format
                try JSONRecords.readLines(source, makeWriter: makeWriter, skip: skip)
            }

            let rowsWritten = writer?.rowsWritten ?? 0
            for sql in deferredIndexes { try db.execute(sql: sql) }
            let after = try Int.fetchOne(db, sql: countSQL)!
            let touched = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(Schema.table) WHERE changed_import = ?",
                                           arguments: [importID])!
            let inserted = after - before
            let summary = ImportSummary(
                importID: importID, kind: Schema.kind, file: source.displayName, format: resolvedFormat,
                sha256: source.finishDigest(), rows: rowsWritten, inserted: inserted,
                updated: touched - inserted, unchanged: rowsWritten - touched, skipped: skipped)
            let finished = now()
            try db.execute(
                sql: """
                    INSERT INTO imports (id, kind, started_at, finished_at, actor, file_name, format, sha256,
                                         rows, inserted, updated, unchanged, skipped)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [importID, Schema.kind.rawValue, ISOTimestamp.formatMillis(started),
                            ISOTimestamp.formatMillis(finished), request.actor, summary.file, resolvedFormat.rawValue,
                            summary.sha256, summary.rows, summary.inserted, summary.updated, summary.unchanged, skipped])
            try AuditLog.append(
                AuditEvent(event: "import", actor: request.actor, outcome: "succeeded", detail: [
                    "import_id": .number(Double(importID)), "kind": .string(Schema.kind.rawValue),
                    "file": .string(summary.file), "format": .string(resolvedFormat.rawValue),
                    "sha256": .string(summary.sha256), "rows": .number(Double(summary.rows)),
                    "inserted": .number(Double(inserted)), "updated": .number(Double(summary.updated)),
                    "unchanged": .number(Double(summary.unchanged)), "skipped": .number(Double(skipped)),
                ]),
                at: finished, in: db, checkpoint: true)
            return summary
        }
    }
}

extension InventoryImporter {
    /// Drops the indexes of `table` other than its key; returns the SQL that recreates them.
    static func dropSecondaryIndexes(of table: String, _ db: Database) throws -> [String] {
        let indexes = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL
            """, arguments: [table])
        for index in indexes { try db.execute(sql: "DROP INDEX \(index["name"] as String)") }
        return indexes.map { $0["sql"] }
    }
}

/// Writes rows through the schema's upsert, telling bad values and duplicate keys
/// apart from database failures.
final class UpsertWriter<Schema: InventorySchema> {
    private let db: Database
    private let statement: RawStatement
    private let firstLine: Statement
    private var schema: Schema
    private let importID: Int64
    let file: String
    private(set) var rowsWritten = 0

    /// `presentFields`: which fields the file has a column (or JSON member) for.
    init(db: Database, importID: Int64, file: String, format: ImportFormat, presentFields: [Bool]) throws {
        self.db = db
        schema = Schema(format: format)
        self.importID = importID
        self.file = file
        statement = try RawStatement(db, sql: Schema.upsertSQL(presentFields: presentFields))
        firstLine = try db.makeStatement(sql: "SELECT seen_line FROM \(Schema.table) WHERE \(Schema.keyColumn) = ?")
    }

    enum Failure: Error {
        case invalid(RowError)
        case duplicate(firstLine: Int)
    }

    /// Upserts one row; `values` are indexed by the schema's fields.
    func write(_ values: [UnsafeRawBufferPointer?], line: Int) throws -> Failure? {
        do {
            try schema.bind(values, to: statement)
        } catch {
            return .invalid(error)
        }
        statement.bind(Schema.valueCount + 1, importID)
        statement.bind(Schema.valueCount + 2, Int64(line))
        let code = statement.step()
        statement.reset()
        if code == SQLITE_DONE {
            rowsWritten += 1
            return nil
        }
        if sqlite3_extended_errcode(db.sqliteConnection) == sqliteConstraintNotNull {
            let key = Schema.value(values, Schema.keyField).map(FieldText.string) ?? ""
            let first = try Int.fetchOne(firstLine, arguments: [key]) ?? 0
            return .duplicate(firstLine: first)
        }
        throw statement.error(db, code: code)
    }
}

/// SQLITE_CONSTRAINT_NOTNULL, a C macro Swift does not import.
private let sqliteConstraintNotNull: Int32 = SQLITE_CONSTRAINT | (5 << 8)
