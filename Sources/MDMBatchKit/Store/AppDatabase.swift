import CSQLiteSettings
import Foundation
import GRDB
import MDMBatchMigrations

/// The database: one connection that writes (GRDB's `DatabaseQueue`), the migrator that
/// creates and upgrades its schema from `migrations/`, and the audit signer of this
/// process. Every SQL statement of the program lives in `Store/`: the rest of the kit
/// calls the methods of `AppDatabase`, `StoreReader` and `StoreWriter`, named for intent.
///
/// One connection: the command line does one thing at a time, and a pool would create and
/// drop a table at every open to make its WAL file exist (GRDB issue 102), changing the
/// file even when a command writes nothing.
public struct AppDatabase: Sendable {
    private let writer: any DatabaseWriter
    /// Signs the audit checkpoints this process appends; nil: unsigned.
    public let signer: AuditSigner?
    /// The file, or nil in memory.
    public let path: String?
    /// Whether this process created the file (`writeBulk` may then use a rollback journal).
    private let created: Bool

    /// Whether a command may create the database.
    public enum OpenMode: Sendable {
        /// `import` and `run`: create the file and its schema when missing.
        case createIfMissing
        /// Every other command: the database must exist and be an mdmbatch database.
        case mustExist
    }

    /// Opens the database at `path` and migrates an older schema. WAL (so that other
    /// processes read while a run writes), `synchronous = FULL`, a busy timeout, writes in
    /// IMMEDIATE transactions. A file that is not an mdmbatch database, or one written by a
    /// newer mdmbatch, is refused before anything is written to it.
    public static func open(path: String, mode: OpenMode, signer: AuditSigner? = nil) throws -> AppDatabase {
        var info = stat()
        let exists = stat(path, &info) == 0
        if !exists && mode == .mustExist { throw StoreError.noDatabase(path) }
        if exists {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw StoreError.notADatabase(path, "it is a directory") }
            try checkIdentity(path: path, size: Int64(info.st_size), rollingBack: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.journalMode = .default  // set below, without GRDB's WAL set-up
        configuration.prepareDatabase { db in
            // A new file gets 8 KiB pages, before its first write fixes the size: half the
            // pages (and WAL frames) of the default 4 KiB for the same rows, 0.25 s of a
            // 1,000,000-row import (bench/RESULTS.md). A database that exists keeps its own.
            if !exists { try db.execute(sql: "PRAGMA page_size = 8192") }
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw DatabaseError(message: "could not switch \(db.description) to WAL mode")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            return try AppDatabase(DatabaseQueue(path: path, configuration: configuration), signer: signer, path: path,
                                   created: !exists)
        } catch let error as DatabaseError {
            throw StoreError.database(path, error)
        }
    }

    /// Settles SQLite's process-wide configuration; a program calls it once, first thing,
    /// before any database is opened (SQLite ignores it later). Memory statistics are off:
    /// nothing here reads them, and keeping them takes a global mutex at every allocation
    /// and free of SQLite, 1 s of a 1,000,000-row import (bench/RESULTS.md).
    public static func configureProcess() {
        _ = mdmbatch_sqlite_disable_memstatus()
    }

    /// A private in-memory database, for tests.
    public static func inMemory(signer: AuditSigner? = nil) throws -> AppDatabase {
        try AppDatabase(DatabaseQueue(), signer: signer, path: nil, created: false)
    }

    private init(_ writer: any DatabaseWriter, signer: AuditSigner?, path: String?, created: Bool) throws {
        self.writer = writer
        self.signer = signer
        self.path = path
        self.created = created
        try Self.migrator.migrate(writer)
    }

    /// The same database with another signer.
    public func signing(with signer: AuditSigner?) -> AppDatabase {
        AppDatabase(writer: writer, signer: signer, path: path, created: created)
    }

    private init(writer: any DatabaseWriter, signer: AuditSigner?, path: String?, created: Bool) {
        self.writer = writer
        self.signer = signer
        self.path = path
        self.created = created
    }

    /// Every migration of `migrations/`, registered in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Refuses, without writing a byte, a file that is not an mdmbatch database or comes
    /// from a newer one. An empty file is not a database of ours either. A rollback journal
    /// left by a process killed during `writeBulk` (a read-only connection cannot undo it)
    /// is rolled back first, as any SQLite connection that can write would.
    private static func checkIdentity(path: String, size: Int64, rollingBack: Bool) throws {
        guard size > 0 else { throw StoreError.notADatabase(path, "the file is empty") }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                guard !tables.isEmpty else { return }  // a new SQLite file: ours to fill
                guard tables.contains("grdb_migrations") else {
                    throw StoreError.notADatabase(path, "it has no mdmbatch schema (tables: \(tables.prefix(5).joined(separator: ", ")))")
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                let known = Set(Migrations.all.map(\.identifier))
                if let newer = applied.first(where: { !known.contains($0) }) {
                    throw StoreError.newerSchema(path, newer)
                }
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_READONLY_ROLLBACK && rollingBack {
            do {
                let queue = try DatabaseQueue(path: path)  // plain: no schema, no journal mode of ours
                defer { try? queue.close() }
                _ = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            } catch let error as DatabaseError {
                throw StoreError.database(path, error)
            }
            try checkIdentity(path: path, size: size, rollingBack: false)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notADatabase(path, "it is not an SQLite database")
        } catch let error as DatabaseError {
            throw StoreError.database(path, error)
        }
    }

    /// Closes the database (on disk: checkpoints the WAL into the database file).
    public func close() throws {
        if let queue = writer as? DatabaseQueue { try queue.close() }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it is committed, or none.
    @discardableResult
    public func write<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        try mapErrors {
            try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(StoreWriter(db: db, signer: signer, databasePath: path))
                    return .commit
                }
                return result!
            }
        }
    }

    /// Like `write`, for a bulk load (an import). In a database this process has just
    /// created and nothing has been imported into, the transaction runs with a rollback
    /// journal: new pages are written once, into the file, instead of into the WAL and then
    /// again into the file (0.45 s of a 1,000,000-row import, bench/RESULTS.md). The commit
    /// is as durable (`synchronous = FULL`), a failure leaves the new database as it was,
    /// and a process killed meanwhile leaves a journal that the next open rolls back. The
    /// WAL comes back after; if another connection keeps the switch from happening, the
    /// load simply runs in WAL mode.
    public func writeBulk<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        let switched = try created && mapErrors {
            try writer.writeWithoutTransaction { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM imports") == 0 else { return false }
                return try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") == "delete"
            }
        }
        defer {
            // when this fails (another connection), the next open sets WAL again
            if switched { _ = try? writer.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") } }
        }
        return try write(body)
    }

    /// Like `write`, from an async context.
    func writeAsync<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        let signer = self.signer, path = self.path
        return try await mapErrors {
            try await writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(StoreWriter(db: db, signer: signer, databasePath: path))
                    return .commit
                }
                return result!
            }
        }
    }

    /// Reads without waiting for a writer (WAL snapshot).
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try mapErrors { try writer.read { db in try body(StoreReader(db: db)) } }
    }

    /// Runs `body` on the connection outside any transaction: for the temporary tables
    /// of a plan, which write nothing to the database file.
    func withoutTransaction<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        try mapErrors { try writer.writeWithoutTransaction { db in try body(StoreWriter(db: db, signer: signer, databasePath: path)) } }
    }

    /// A raw read of the connection: for the tests' expectations only.
    func inspect<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read { try body($0) }
    }

    /// A raw write outside the Store's methods, as someone holding the file could make:
    /// for the tests of tamper detection and crash recovery only.
    func tamper(_ sql: String, arguments: StatementArguments = []) throws {
        try writer.write { try $0.execute(sql: sql, arguments: arguments) }
    }

    private func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError { throw StoreError.database(path ?? ":memory:", error) }
    }

    private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as DatabaseError { throw StoreError.database(path ?? ":memory:", error) }
    }
}

/// A read snapshot. The methods are in the `Store/` file of their table family.
public struct StoreReader {
    let db: Database
}

/// An open write transaction (or, for a plan, the connection outside one).
public struct StoreWriter {
    let db: Database
    let signer: AuditSigner?

    /// The database file (for the files the mock keeps beside it); nil in memory.
    let databasePath: String?

    /// The same connection, for the reads a write needs.
    public var reader: StoreReader { StoreReader(db: db) }
}

/// What went wrong with the database itself.
public enum StoreError: LocalizedError, ClassifiedError {
    /// A command that reads needs an existing database.
    case noDatabase(String)
    case notADatabase(String, String)
    case newerSchema(String, String)
    /// SQLite refused: the path and SQLite's error.
    case database(String, DatabaseError)
    /// A state change the dispatch state table does not allow (a bug).
    case illegalTransition(runID: String, seq: Int64, to: String)

    public var errorDescription: String? {
        switch self {
        case .noDatabase(let path):
            "\(path): no such database (import an inventory or run a batch first, or pass --db PATH)"
        case .notADatabase(let path, let why): "\(path): not an mdmbatch database: \(why)"
        case .newerSchema(let path, let migration):
            "\(path): written by a newer mdmbatch (schema \(migration)): use that version"
        case .illegalTransition(let runID, let seq, let state):
            "internal error: dispatch \(seq) of run \(runID) cannot move to \(state) from the state it is in"
        case .database(let path, let error):
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: "\(path): database is busy: \(error.message ?? "")"
            case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_PERM,
                 .SQLITE_AUTH:
                "\(path): database error: \(error.message ?? "\(error.resultCode)")"
            default: "\(path): internal database error: \(error)"
            }
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .noDatabase: .noInput
        case .notADatabase, .newerSchema: .dataError
        case .illegalTransition: .software
        case .database(_, let error):
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: .temporary
            case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_PERM,
                 .SQLITE_AUTH: .ioError
            default: .software
            }
        }
    }
}
