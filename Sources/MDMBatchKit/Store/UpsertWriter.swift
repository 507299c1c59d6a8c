import Foundation
import GRDB
import GRDBSQLite

extension InventorySchema {
    /// An upsert of all `columns` into tenant `tenant`'s rows, whose last two parameters are
    /// the import id and the line (the tenant, one for the whole import, is written in). On conflict it updates only the columns of the fields the file has (a file
    /// without a passcode column keeps the stored passcode state); it sets `seen_import`
    /// to NULL, a NOT NULL violation, when the key was already seen in this import, and
    /// `changed_import` to the import id when any value changed.
    static func upsertSQL(tenant: Int64, presentFields: [Bool], keptWhenEmpty: Set<String> = [], rows: Int = 1) -> String {
        let key = keyColumn
        let updated = columns.filter { column in
            presentFields.indices.contains { presentFields[$0] && columns(ofField: $0).contains(column) }
        }
        let all = columns + ["seen_import", "seen_line", "changed_import", "tenant"]
        let perRow = Int(parametersPerRow)
        /// Row `row`'s values: its columns, the import id and the line, and the import id again.
        func values(_ row: Int) -> String {
            let base = row * perRow
            let placeholders = (1...perRow).map { "?\(base + $0)" } + ["?\(base + Int(valueCount) + 1)", String(tenant)]
            return "(" + placeholders.joined(separator: ", ") + ")"
        }
        /// The new value of a column: the input's, or the stored one where the input cannot tell.
        func value(_ column: String) -> String {
            keptWhenEmpty.contains(column) ? "coalesce(excluded.\(column), \(table).\(column))" : "excluded.\(column)"
        }
        let same = updated.map { "\(table).\($0) IS \(value($0)) COLLATE BINARY" }.joined(separator: " AND ")
        return """
            INSERT INTO \(table) (\(all.joined(separator: ", "))) VALUES \((0..<rows).map(values).joined(separator: ", "))
            ON CONFLICT (tenant, \(key)) DO UPDATE SET
                seen_import = CASE WHEN \(table).seen_import = excluded.seen_import THEN NULL ELSE excluded.seen_import END,
                seen_line = excluded.seen_line,
                changed_import = CASE WHEN \(same) THEN \(table).changed_import ELSE excluded.seen_import END,
                \((updated.map { "\($0) = \(value($0))" }).joined(separator: ",\n    "))
            """
    }
}

/// Writes rows through the schema's upsert, telling bad values and duplicate keys
/// apart from database failures.
///
/// Rows go in groups of `groupSize`, one statement each: SQLite's work per statement
/// (start, statement journal, reset) then counts once a group instead of once a row,
/// which halves its time per row (bench/RESULTS.md). A row's bytes are copied into an
/// arena that lives until its group is written. A group that fails on a constraint is
/// undone by SQLite (the statement's changes only) and written again row by row, so that
/// each duplicate is found at its own row, in file order, exactly as one row at a time.
final class UpsertWriter<Schema: InventorySchema> {
    static var groupSize: Int { 32 }

    private let db: Database
    private let single: RawStatement
    private let group: RawStatement
    private let firstLine: Statement
    private var schema: Schema
    private let importID: Int64
    /// Where a duplicate key is reported (the importer's list of skipped rows, or its refusal).
    private let reportDuplicate: (SkippedRow) throws -> Void
    private(set) var rowsWritten = 0

    /// The rows bound into `group` and not yet written: their values (in `arena`), lines
    /// and the place of their key.
    private var pendingValues: [UnsafeRawBufferPointer?] = []
    private var pendingLines: [Int] = []
    private var pendingKeyLocations: [SourceLocation] = []
    /// The row being bound (reused: no allocation a row).
    private var rowValues = [UnsafeRawBufferPointer?](repeating: nil, count: Schema.fieldNames.count)
    private let arena: UnsafeMutableRawBufferPointer
    private var arenaUsed = 0
    private static var arenaSize: Int { 1 << 20 }

    /// `presentFields`: which fields the file has a column (or JSON member) for. Made by
    /// `InventoryLoad.upsertWriter`, inside the load's transaction.
    init(db: Database, importID: Int64, tenant: Int64, format: ImportFormat, presentFields: [Bool],
         reportDuplicate: @escaping (SkippedRow) throws -> Void) throws {
        self.db = db
        self.importID = importID
        self.reportDuplicate = reportDuplicate
        schema = Schema(format: format)
        let kept = Schema.keptWhenEmpty(in: format)
        single = try RawStatement(db, sql: Schema.upsertSQL(tenant: tenant, presentFields: presentFields, keptWhenEmpty: kept))
        group = try RawStatement(db, sql: Schema.upsertSQL(tenant: tenant, presentFields: presentFields, keptWhenEmpty: kept,
                                                           rows: Self.groupSize))
        firstLine = try db.makeStatement(sql: "SELECT seen_line FROM \(Schema.table) WHERE tenant = \(tenant) AND \(Schema.keyColumn) = ?")
        arena = .allocate(byteCount: Self.arenaSize, alignment: 1)
        pendingValues.reserveCapacity(Self.groupSize * Schema.fieldNames.count)
    }

    deinit { arena.deallocate() }

    /// Adds one row; `values` are indexed by the schema's fields and stay valid only
    /// during the call. A bad value is returned at once (the row is not written); a
    /// duplicate key is reported through `reportDuplicate` when the row's group is written,
    /// before any later row's problem. `keyLocation`: where the row's key is, for that report.
    func write(_ values: [UnsafeRawBufferPointer?], line: Int, keyLocation: SourceLocation) throws -> RowError? {
        let needed = values.reduce(0) { $0 + ($1?.count ?? 0) }
        if arenaUsed + needed > arena.count { try flush() }
        for (field, value) in values.enumerated() {
            guard let value, let base = value.baseAddress else {
                rowValues[field] = value.map { _ in UnsafeRawBufferPointer(start: nil, count: 0) }  // empty, not absent
                continue
            }
            let copy = UnsafeMutableRawBufferPointer(rebasing: arena[arenaUsed..<arenaUsed + value.count])
            copy.copyMemory(from: UnsafeRawBufferPointer(start: base, count: value.count))
            arenaUsed += value.count
            rowValues[field] = UnsafeRawBufferPointer(copy)
        }
        var statement = group
        statement.parameterOffset = Int32(pendingLines.count) * Schema.parametersPerRow
        do {
            try bind(rowValues, line: line, to: statement)
        } catch {
            return error
        }
        pendingValues.append(contentsOf: rowValues)
        pendingLines.append(line)
        pendingKeyLocations.append(keyLocation)
        if pendingLines.count == Self.groupSize { try writeGroup() }
        return nil
    }

    /// Writes the rows still pending, one by one; before any other problem is reported, and at the end.
    func flush() throws {
        let fieldCount = Schema.fieldNames.count
        for (index, line) in pendingLines.enumerated() {
            for field in 0..<fieldCount { rowValues[field] = pendingValues[index * fieldCount + field] }
            let values = rowValues
            try bind(values, line: line, to: single)
            let code = single.step()
            single.reset()
            if code == SQLITE_DONE {
                rowsWritten += 1
            } else if sqlite3_extended_errcode(db.sqliteConnection) == sqliteConstraintNotNull {
                let key = values[Schema.keyField].map(FieldText.string) ?? ""
                let trimmed = Schema.value(values, Schema.keyField).map(FieldText.string) ?? ""
                let first = try Int.fetchOne(firstLine, arguments: [trimmed]) ?? 0
                try reportDuplicate(SkippedRow(
                    location: pendingKeyLocations[index],
                    message: "duplicate \(Schema.fieldNames[Schema.keyField]) \"\(key)\" (first at line \(first))"))
            } else {
                throw single.error(db, code: code)
            }
        }
        clearPending()
    }

    private func writeGroup() throws {
        let code = group.step()
        group.reset()
        if code == SQLITE_DONE {
            rowsWritten += pendingLines.count
            clearPending()
        } else if sqlite3_extended_errcode(db.sqliteConnection) == sqliteConstraintNotNull {
            try flush()  // SQLite undid the group's rows: find the duplicate row by row
        } else {
            throw group.error(db, code: code)
        }
    }

    private func clearPending() {
        pendingValues.removeAll(keepingCapacity: true)
        pendingLines.removeAll(keepingCapacity: true)
        pendingKeyLocations.removeAll(keepingCapacity: true)
        arenaUsed = 0
    }

    private func bind(_ values: [UnsafeRawBufferPointer?], line: Int, to statement: RawStatement) throws(RowError) {
        try schema.bind(values, to: statement)
        statement.bind(Schema.valueCount + 1, importID)
        statement.bind(Schema.valueCount + 2, Int64(line))
    }
}

/// SQLITE_CONSTRAINT_NOTNULL, a C macro Swift does not import.
private let sqliteConstraintNotNull: Int32 = SQLITE_CONSTRAINT | (5 << 8)
