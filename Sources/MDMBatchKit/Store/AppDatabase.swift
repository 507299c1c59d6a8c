import Foundation
import GRDB
import MDMBatchMigrations

/// The database: one writer (a WAL pool on disk, a queue in memory for tests) and the
/// migrator that creates and upgrades its schema from `migrations/`.
public struct AppDatabase: Sendable {
    public let writer: any DatabaseWriter

    /// Opens (creating when needed) the database at `path` and migrates it.
    /// WAL (so that other processes read while a run writes), `synchronous = FULL`,
    /// a busy timeout, writes in IMMEDIATE transactions.
    ///
    /// One connection (a GRDB queue): the command line does one thing at a time, and a
    /// pool would create and drop a table at every open to make its WAL file exist
    /// (GRDB issue 102), changing the file even when a command writes nothing.
    public static func open(path: String) throws -> AppDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.journalMode = .default  // set below, without GRDB's WAL set-up
        configuration.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw DatabaseError(message: "could not switch \(db.description) to WAL mode")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return try AppDatabase(DatabaseQueue(path: path, configuration: configuration))
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Every migration of `migrations/`, registered in order.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Closes the database (on disk: checkpoints the WAL into the database file).
    public func close() throws {
        if let pool = writer as? DatabasePool { try pool.close() }
        if let queue = writer as? DatabaseQueue { try queue.close() }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it is committed, or none.
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// Reads without waiting for a writer (WAL snapshot).
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read { db in try body(db) }
    }
}
