import Foundation
import GRDB
import MDMBatchMigrations
import Testing
@testable import MDMBatchKit

@Suite("Store and audit log")
struct StoreTests {
    @Test("every .sql file of migrations/ is registered, in order")
    func migrationsRegistered() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted().map { String($0.dropLast(4)) }
        #expect(!files.isEmpty)
        #expect(Migrations.all.map(\.identifier) == files)
        for (migration, file) in zip(Migrations.all, files) {
            let text = try String(contentsOf: folder.appendingPathComponent(file + ".sql"), encoding: .utf8)
            #expect(migration.sql == text, "\(file) embedded text differs from the file")
        }
        let database = try AppDatabase.inMemory()
        let applied = try database.inspect { try AppDatabase.migrator.appliedIdentifiers($0) }
        #expect(applied == Set(files))
    }

    @Test("v0010 keys devices and users by (tenant, id): every row of a database of v0009 kept, as default's (0); the lookups by serial, IMEI and user per tenant")
    func tenantsMigration() throws {
        // a database of v0009, with a device and a user in it
        let path = try Self.database(before: "v0010_tenants", holding: """
            INSERT INTO devices (device_id, serial_number, platform, os_raw, management, enrollment, passcode_set, primary_user_upn,
                                 seen_import, seen_line, changed_import)
            VALUES ('d1', 'SN1', 'ios', 'iOS', 'eas_mdm', 'aosp', 1, 'A@B.C', 1, 2, 1);
            INSERT INTO users (upn, display_name, seen_import, seen_line, changed_import) VALUES ('A@B.C', 'A', 1, 2, 1);
            """)
        let database = try AppDatabase.open(path: path, mode: .mustExist)
        defer { try? database.close() }
        try database.inspect { db in
            let device = try #require(try Row.fetchOne(db, sql: "SELECT * FROM devices"))
            #expect(device["tenant"] as Int64? == 0 && device["device_id"] as String? == "d1" && device["serial_number"] as String? == "SN1")
            #expect(device["management"] as String? == "eas_mdm" && device["passcode_set"] as Int? == 1)
            let user = try #require(try Row.fetchOne(db, sql: "SELECT * FROM users"))
            #expect(user["tenant"] as Int64? == 0 && user["upn"] as String? == "A@B.C" && user["display_name"] as String? == "A")
            let indexes = try String.fetchAll(db, sql: """
                SELECT m.name || ':' || group_concat(i.name) FROM sqlite_master m, pragma_index_info(m.name) i
                WHERE m.type = 'index' AND m.tbl_name = 'devices' AND m.sql IS NOT NULL GROUP BY m.name ORDER BY 1
                """)
            #expect(indexes == ["devices_imei:tenant,imei", "devices_primary_user:tenant,primary_user_upn", "devices_serial:tenant,serial_number"])
        }
        // the same ids may now exist in another tenant; a UPN is still unique regardless of case inside one
        try database.tamper("""
            INSERT INTO devices (tenant, device_id, platform, os_raw, seen_import, seen_line, changed_import) VALUES (1, 'd1', 'ios', 'iOS', 2, 2, 2);
            INSERT INTO users (tenant, upn, seen_import, seen_line, changed_import) VALUES (1, 'a@b.c', 2, 2, 2);
            """)
        #expect(throws: DatabaseError.self) {
            try database.tamper("INSERT INTO users (tenant, upn, seen_import, seen_line, changed_import) VALUES (1, 'A@B.C', 3, 2, 3)")
        }
    }

    @Test("v0006 rebuilds devices with CHECKs of `=` chains: rows and indexes kept, the same values allowed as the enums name")
    func devicesChecksMigration() throws {
        // a database of v0005, with a device in it
        let path = try Self.database(before: "v0006_devices_checks", holding: """
            INSERT INTO devices (device_id, platform, os_raw, management, enrollment, passcode_set, primary_user_upn,
                                 seen_import, seen_line, changed_import)
            VALUES ('d1', 'ios', 'iOS', 'eas_mdm', 'aosp', 1, 'A@B.C', 1, 2, 1)
            """)
        let database = try AppDatabase.open(path: path, mode: .mustExist)
        defer { try? database.close() }
        try database.inspect { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM devices"))
            let kept: [String?] = [row["device_id"], row["management"], row["enrollment"], row["primary_user_upn"]]
            #expect(kept == ["d1", "eas_mdm", "aosp", "A@B.C"])
            #expect(row["passcode_set"] as Int? == 1)
            let indexes: [String] = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'devices' AND sql IS NOT NULL ORDER BY 1
                """)
            let expectedIndexes = ["devices_imei", "devices_primary_user", "devices_serial"]
            #expect(indexes == expectedIndexes)
            let table = try #require(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'devices'"))
            #expect(!table.contains(" IN ("))
            // each CHECK allows exactly the values of its Swift type
            func allowed(_ column: String) -> [String] {
                table.matches(of: try! Regex("\(column) = '([a-z_]+)'")).map { String($0.output[1].substring!) }
            }
            #expect(allowed("management") == Management.allCases.map(\.rawValue))
            #expect(allowed("enrollment") == Enrollment.allCases.map(\.rawValue))
        }
        // and they still refuse what is outside them, and let unknown (NULL) pass
        for (column, value) in [("management", "'bogus'"), ("enrollment", "'byod'"), ("passcode_set", "2")] {
            #expect(throws: (any Error).self, "\(column) = \(value)") {
                try database.tamper("UPDATE devices SET \(column) = \(value)")
            }
        }
        try database.tamper("UPDATE devices SET management = NULL, enrollment = NULL, passcode_set = NULL")
    }

    @Test("an on-disk database uses WAL and synchronous=FULL")
    func pragmas() throws {
        let dir = try TestSupport.temporaryDirectory()
        let database = try AppDatabase.open(path: dir.appendingPathComponent("x.sqlite").path, mode: .createIfMissing)
        defer { try? database.close() }
        let mode = try database.inspect { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        let sync = try database.inspect { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(mode == "wal" && sync == 2)
    }

    @Test("the audit log is chained by hash and refuses UPDATE and DELETE")
    func auditChain() throws {
        let database = try AppDatabase.inMemory()
        try database.write { store in
            try store.appendAudit(AuditEvent(.plan, actor: "x"), at: Date(timeIntervalSince1970: 0))
            try store.appendAudit(AuditEvent(.export, actor: "y", deviceID: "d1", detail: ["k": .string("v")]),
                                  at: Date(timeIntervalSince1970: 1))
        }
        let rows = try database.inspect { try Row.fetchAll($0, sql: "SELECT * FROM audit_log ORDER BY seq") }
        #expect(rows.count == 2)
        #expect(rows[0].text("prev_hash") == AuditLog.genesisHash)
        #expect(rows[1].text("prev_hash") == rows[0].text("hash"))
        let recomputed = AuditLog.chainHash(prevHash: rows[1].text("prev_hash")!, fields: [
            "2", rows[1].text("at"), nil, "y", "export", "d1", nil, nil, nil, "{\"k\":\"v\"}"])
        #expect(recomputed == rows[1].text("hash"))
        #expect(throws: DatabaseError.self) { try database.tamper("UPDATE audit_log SET actor = 'z'") }
        #expect(throws: DatabaseError.self) { try database.tamper("DELETE FROM audit_log") }
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_log") } == 2)
    }

    @Test("the canonical row encoding is length-prefixed, with ~ for NULL")
    func canonicalEncoding() {
        #expect(String(decoding: AuditLog.canonicalEncoding(["ab", nil, "", "é"]), as: UTF8.self) == "2:ab;~;0:;2:é;")
    }

    /// A database file migrated up to (not including) `migration`, holding what `sql` inserts.
    static func database(before migration: String, holding sql: String) throws -> String {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("old.sqlite").path
        let queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        for step in Migrations.all.prefix(while: { $0.identifier != migration }) {
            migrator.registerMigration(step.identifier) { try $0.execute(sql: step.sql) }
        }
        try migrator.migrate(queue)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return path
    }
}
