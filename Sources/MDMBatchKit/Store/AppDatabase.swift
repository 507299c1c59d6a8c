import Foundation
import GRDB
import MDMBatchMigrations

/// The database: one writer (a WAL pool on disk, a queue in memory for tests) and the
/// migrator that creates and upgrades its schema from `migrations/`.
public struct AppDatabase: Sendable {
    public let writer: any DatabaseWriter

    /// Opens (creating when needed) the database at `path` and migrates it.
    /// WAL, `synchronous = FULL`, a busy timeout, writes in IMMEDIATE transactions.
    public static func open(path: String) throws -> AppDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try AppDatabase(pool)
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

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it is committed, or none.
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
