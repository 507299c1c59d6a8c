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
    /// The tenant whose rows it writes (0: default).
    let tenant: Int64

    init(_ writer: StoreWriter, table: String, tenant: Int64) throws {
        db = writer.db
        self.table = table
        self.tenant = tenant
        // A larger page cache for the bulk write (flat: it does not grow with the file).
        cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size")!
        try db.execute(sql: "PRAGMA cache_size = -12000")
        importID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM imports")!
        before = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE tenant = ?", arguments: [tenant])!
        // Into an empty table, build the secondary indexes once at the end (a sort)
        // instead of updating them row by row; DDL is part of the transaction.
        if try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM \(table))")! {
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
        try UpsertWriter<Schema>(db: db, importID: importID, tenant: tenant, format: format, presentFields: presentFields,
                                 reportDuplicate: reportDuplicate)
    }

    /// Rebuilds the deferred indexes and counts what the import did.
    func finish(rowsWritten: Int) throws -> (inserted: Int, updated: Int, unchanged: Int) {
        // (SQLite's sorter threads, PRAGMA threads = 2, gained 0.05 s of 5.5 and cost 32 MiB: not used)
        for sql in deferredIndexes { try db.execute(sql: sql) }
        // Into a tenant of no rows every row written was new: a key met twice is refused or
        // skipped, never written twice. Otherwise the table says what changed.
        if before == 0 { return (rowsWritten, 0, 0) }
        let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE tenant = ?", arguments: [tenant])!
        let touched = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE tenant = ? AND changed_import = ?",
                                       arguments: [tenant, importID])!
        let inserted = after - before
        return (inserted, touched - inserted, rowsWritten - touched)
    }

    /// Records the import in `imports`.
    func record(_ summary: ImportSummary, actor: String, startedAt: Date, finishedAt: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO imports (id, kind, started_at, finished_at, actor, file_name, format, sha256,
                                     rows, inserted, updated, unchanged, skipped, tenant)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [importID, summary.kind.rawValue, ISOTimestamp.formatMillis(startedAt),
                        ISOTimestamp.formatMillis(finishedAt), actor, summary.file, summary.format.rawValue,
                        summary.sha256, summary.rows, summary.inserted, summary.updated, summary.unchanged, summary.skipped, tenant])
    }
}

extension StoreWriter {
    /// Starts an import into `table`, of tenant `tenant`'s rows (0: default); its
    /// `InventoryLoad` lives as long as the transaction.
    func beginInventoryLoad(table: String, tenant: Int64) throws -> InventoryLoad {
        try InventoryLoad(self, table: table, tenant: tenant)
    }
}

extension StoreReader {
    /// Android devices of `tenant` without a recorded enrollment: today's rules refuse them
    /// (`enrollment_unknown`), and an import says how many there are.
    func androidDevicesWithoutEnrollment(tenant: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM devices WHERE tenant = ? AND platform = 'android' AND enrollment IS NULL",
                         arguments: [tenant]) ?? 0
    }

    /// How many devices and users tenant `tenant` has.
    func inventoryCounts(tenant: Int64) throws -> (devices: Int, users: Int) {
        (try Int.fetchOne(db, sql: "SELECT count(*) FROM devices WHERE tenant = ?", arguments: [tenant]) ?? 0,
         try Int.fetchOne(db, sql: "SELECT count(*) FROM users WHERE tenant = ?", arguments: [tenant]) ?? 0)
    }

    /// The number of the tenant a command names: 0 for nil or `default`; a registered
    /// tenant's own, else `TenantError.unknownTenant` or `.removed`.
    func tenantNumber(_ name: TenantName?) throws -> Int64 {
        guard let name, !name.isOperator else { return 0 }
        return try registeredTenant(name).number
    }

    /// The unfinished runs (running or interrupted) holding elements of tenant `tenant`.
    func unfinishedRuns(holdingTenant tenant: Int64) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT r.id FROM runs r WHERE r.state <> 'finished'
            AND EXISTS (SELECT 1 FROM dispatches d WHERE d.run_id = r.id AND d.tenant = ?) ORDER BY r.id
            """, arguments: [tenant])
    }
}

extension StoreWriter {
    /// Deletes tenant `tenant`'s devices and users; returns how many of each.
    func deleteInventory(tenant: Int64) throws -> (devices: Int, users: Int) {
        try db.execute(sql: "DELETE FROM devices WHERE tenant = ?", arguments: [tenant])
        let devices = db.changesCount
        try db.execute(sql: "DELETE FROM users WHERE tenant = ?", arguments: [tenant])
        return (devices, db.changesCount)
    }
}

