import Foundation
import GRDB

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
        try db.execute(sql: "PRAGMA cache_size = -12000")
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
    func upsertWriter<Schema: InventorySchema>(_ schema: Schema.Type, format: ImportFormat, presentFields: [Bool],
                                               reportDuplicate: @escaping (SkippedRow) throws -> Void) throws -> UpsertWriter<Schema> {
        try UpsertWriter<Schema>(db: db, importID: importID, format: format, presentFields: presentFields,
                                 reportDuplicate: reportDuplicate)
    }

    /// Rebuilds the deferred indexes and counts what the import did.
    func finish(rowsWritten: Int) throws -> (inserted: Int, updated: Int, unchanged: Int) {
        // (SQLite's sorter threads, PRAGMA threads = 2, gained 0.05 s of 5.5 and cost 32 MiB: not used)
        for sql in deferredIndexes { try db.execute(sql: sql) }
        // Into an empty table every row written was new: a key met twice is refused or
        // skipped, never written twice. Otherwise the table says what changed.
        if before == 0 { return (rowsWritten, 0, 0) }
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
