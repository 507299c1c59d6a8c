import Foundation
import GRDB
import GRDBSQLite

/// One import's write into `users` or `devices`, inside the caller's transaction: the
/// import id, the rows counted before, a larger page cache for the bulk write, secondary
/// indexes built once at the end when the table starts empty, and the `imports` row.
public final class InventoryLoad {
    private let db: Database
    private let table: String
    private let cacheSize: Int
    private let deferredIndexes: [String]
    private let before: Int
    public let importID: Int64

    init(_ writer: StoreWriter, table: String) throws {
        db = writer.db
        self.table = table
        // A larger page cache for the bulk write (flat: it does not grow with the file).
        cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size")!
        try db.execute(sql: "PRAGMA cache_size = -16000")
        importID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM imports")!
        before = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")!
        // Into an empty table, build the secondary indexes once at the end (a sort)
        // instead of updating them row by row; DDL is part of the transaction.
        if before == 0 {
            let indexes = try Row.fetchAll(db, sql: """
                SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL
                """, arguments: [table])
            for index in indexes { try db.execute(sql: "DROP INDEX \(index["name"] as String)") }
            deferredIndexes = indexes.map { $0["sql"] }
        } else {
            deferredIndexes = []
        }
    }

    deinit {
        // the page cache is a connection setting, not part of the transaction
        try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)")
    }

    /// The writer of rows of `Schema` read from `format`, for the fields the input has.
    func upsertWriter<Schema: InventorySchema>(_ schema: Schema.Type, format: ImportFormat,
                                               presentFields: [Bool]) throws -> UpsertWriter<Schema> {
        try UpsertWriter<Schema>(db: db, importID: importID, format: format, presentFields: presentFields)
    }

    /// Rebuilds the deferred indexes and counts what the import did.
    func finish(rowsWritten: Int) throws -> (inserted: Int, updated: Int, unchanged: Int) {
        for sql in deferredIndexes { try db.execute(sql: sql) }
        let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")!
        let touched = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE changed_import = ?", arguments: [importID])!
        let inserted = after - before
        return (inserted, touched - inserted, rowsWritten - touched)
    }

    /// Records the import in `imports`.
    func record(_ summary: ImportSummary, actor: String, startedAt: Date, finishedAt: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO imports (id, kind, started_at, finished_at, actor, file_name, format, sha256,
                                     rows, inserted, updated, unchanged, skipped)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [importID, summary.kind.rawValue, ISOTimestamp.formatMillis(startedAt),
                        ISOTimestamp.formatMillis(finishedAt), actor, summary.file, summary.format.rawValue,
                        summary.sha256, summary.rows, summary.inserted, summary.updated, summary.unchanged, summary.skipped])
    }
}

extension StoreWriter {
    /// Starts an import into `table`; its `InventoryLoad` lives as long as the transaction.
    func beginInventoryLoad(table: String) throws -> InventoryLoad { try InventoryLoad(self, table: table) }
}

extension InventorySchema {
    /// An upsert of all `columns`, whose last two parameters are the import id and the
    /// line. On conflict it updates only the columns of the fields the file has (a file
    /// without a passcode column keeps the stored passcode state); it sets `seen_import`
    /// to NULL, a NOT NULL violation, when the key was already seen in this import, and
    /// `changed_import` to the import id when any value changed.
    static func upsertSQL(presentFields: [Bool], keptWhenEmpty: Set<String> = []) -> String {
        let key = keyColumn
        let updated = columns.filter { column in
            presentFields.indices.contains { presentFields[$0] && columns(ofField: $0).contains(column) }
        }
        let all = columns + ["seen_import", "seen_line", "changed_import"]
        let placeholders = (1...columns.count + 2).map { "?\($0)" } + ["?\(columns.count + 1)"]
        /// The new value of a column: the input's, or the stored one where the input cannot tell.
        func value(_ column: String) -> String {
            keptWhenEmpty.contains(column) ? "coalesce(excluded.\(column), \(table).\(column))" : "excluded.\(column)"
        }
        let same = updated.map { "\(table).\($0) IS \(value($0)) COLLATE BINARY" }.joined(separator: " AND ")
        return """
            INSERT INTO \(table) (\(all.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))
            ON CONFLICT (\(key)) DO UPDATE SET
                seen_import = CASE WHEN \(table).seen_import = excluded.seen_import THEN NULL ELSE excluded.seen_import END,
                seen_line = excluded.seen_line,
                changed_import = CASE WHEN \(same) THEN \(table).changed_import ELSE excluded.seen_import END,
                \((updated.map { "\($0) = \(value($0))" }).joined(separator: ",\n    "))
            """
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
    private(set) var rowsWritten = 0

    /// `presentFields`: which fields the file has a column (or JSON member) for.
    fileprivate init(db: Database, importID: Int64, format: ImportFormat, presentFields: [Bool]) throws {
        self.db = db
        self.importID = importID
        schema = Schema(format: format)
        statement = try RawStatement(db, sql: Schema.upsertSQL(presentFields: presentFields,
                                                                keptWhenEmpty: Schema.keptWhenEmpty(in: format)))
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
