import GRDB
import GRDBSQLite

/// Direct binding and stepping of a prepared statement, for the bulk paths (import,
/// plan, run) where GRDB's per-row argument arrays would cost more than the insert.
/// The statement is owned by GRDB (`Statement`), which finalizes it.
struct RawStatement {
    let statement: Statement
    var handle: OpaquePointer { statement.sqliteStatement }
    /// Added to every parameter index: a statement of several rows binds row `r` of
    /// `n` parameters with an offset of `r * n`.
    var parameterOffset: Int32 = 0

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
    }

    /// The connection's cached statement for `sql` (prepared once, reused by later transactions).
    init(cached db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    /// Binds bytes that stay valid until the next `step`: SQLite does not copy them.
    @inline(__always)
    func bind(_ index: Int32, bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(handle, index + parameterOffset, "", 0, sqliteTransient)
            return
        }
        sqlite3_bind_text(handle, index + parameterOffset, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds bytes, or NULL when there are none.
    @inline(__always)
    func bind(_ index: Int32, bytesOrNull bytes: UnsafeRawBufferPointer?) {
        if let bytes, !bytes.isEmpty { bind(index, bytes: bytes) } else { sqlite3_bind_null(handle, index + parameterOffset) }
    }

    func bind(_ index: Int32, _ text: String?) {
        guard let text else { sqlite3_bind_null(handle, index + parameterOffset); return }
        sqlite3_bind_text(handle, index + parameterOffset, text, -1, sqliteTransient)
    }

    func bind(_ index: Int32, _ value: Double?) {
        guard let value else { sqlite3_bind_null(handle, index + parameterOffset); return }
        sqlite3_bind_double(handle, index + parameterOffset, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(handle, index + parameterOffset); return }
        sqlite3_bind_int64(handle, index + parameterOffset, value)
    }

    /// Steps once; the SQLite result code (SQLITE_ROW, SQLITE_DONE or an error).
    @discardableResult
    func step() -> Int32 {
        sqlite3_step(handle)
    }

    func reset() {
        sqlite3_reset(handle)
    }

    /// The error of the last failed step, as GRDB reports database errors.
    func error(_ db: Database, code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code),
                      message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                      sql: statement.sql)
    }

    /// Steps a statement that returns no rows, throwing on error; resets it after.
    func execute(_ db: Database) throws {
        let code = step()
        reset()
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw error(db, code: code) }
    }
}

/// SQLite's SQLITE_TRANSIENT: copy the bound value now.
let sqliteTransient = unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
