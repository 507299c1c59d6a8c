import Foundation
import GRDB
import Testing
@testable import MDMBatchKit

@Suite("Inventory import")
struct ImporterTests {
    static let header = TestSupport.devicesHeader

    func importDevices(_ text: String, into database: AppDatabase, format: ImportFormat = .auto,
                       skipInvalid: Bool = false, name: String = "devices.csv") throws -> ImportSummary {
        let path = try TestSupport.file(name, text)
        return try InventoryImporter.run(
            ImportRequest(kind: .devices, path: path, format: format, skipInvalid: skipInvalid, actor: "tester"), into: database)
    }

    @Test("imports the sample fleet in each of its formats to the same devices",
          arguments: ["devices.csv", "devices-intune.csv", "devices-graph.json"])
    func samplesAgree(file: String) throws {
        let database = try AppDatabase.inMemory()
        let summary = try InventoryImporter.run(
            ImportRequest(kind: .devices, path: TestSupport.samples.appendingPathComponent(file).path, actor: "t"), into: database)
        #expect(summary.rows == 44 && summary.inserted == 44)
        let reference = try AppDatabase.inMemory()
        _ = try InventoryImporter.run(
            ImportRequest(kind: .devices, path: TestSupport.samples.appendingPathComponent("devices.csv").path, actor: "t"), into: reference)
        let columns = "device_id, device_name, serial_number, imei, platform, os_raw, os_version, management, primary_user_upn, enrolled_by_upn, last_check_in"
        let sql = "SELECT \(columns) FROM devices ORDER BY device_id"
        let rows = try database.inspect { try Row.fetchAll($0, sql: sql) }
        let expected = try reference.inspect { try Row.fetchAll($0, sql: sql) }
        #expect(rows == expected)
    }

    @Test("detects the format: canonical, Intune export, Graph array, Graph value document, JSONL")
    func detectsFormat() throws {
        let cases: [(String, ImportFormat)] = [
            ("device_id,platform\nd1,iOS\n", .csv),
            ("Device ID,OS,OS version,Managed by\nd1,Android,6.0,Intune\n", .intuneCSV),
            ("[{\"id\": \"d1\", \"operatingSystem\": \"iOS\"}]", .graphJSON),
            ("{\"@odata.context\": \"x\", \"value\": [{\"id\": \"d1\", \"operatingSystem\": \"iOS\"}], \"@odata.nextLink\": null}", .graphJSON),
            ("{\"device_id\": \"d1\", \"platform\": \"iOS\"}\n{\"device_id\": \"d2\", \"platform\": \"macOS\"}\n", .jsonl),
        ]
        for (text, format) in cases {
            let database = try AppDatabase.inMemory()
            let summary = try importDevices(text, into: database, name: "in.txt")
            #expect(summary.format == format, "\(text)")
            #expect(summary.inserted >= 1)
        }
    }

    @Test("maps Intune export and Graph names, ignoring unknown columns and tolerating missing optional ones")
    func mapsHeaders() throws {
        let database = try AppDatabase.inMemory()
        _ = try importDevices("Compliance,DEVICE ID,os,Os-Version,managed_by,Primary User UPN,Extra\nok,d1,Windows,6.3.9600,Co-managed,a@b.c,z\n",
                              into: database, format: .intuneCSV)
        _ = try importDevices("""
            {"value": [{"id": "g1", "deviceName": "G", "operatingSystem": "Android", "osVersion": "6.0.1",
                        "managementAgent": "easMdm", "userPrincipalName": "u@c.d", "imei": "35", "serialNumber": "S1",
                        "nested": {"ignored": [1, 2]}, "lastSyncDateTime": "2026-11-01T10:00:00.1234567+02:00"}]}
            """, into: database, format: .graphJSON, name: "g.json")
        let row = try database.inspect { try Row.fetchOne($0, sql: "SELECT * FROM devices WHERE device_id = 'd1'") }!
        #expect(row.text("platform") == "windows81")
        #expect(row.text("os_raw") == "Windows")
        #expect(row.text("management") == "mdm")
        #expect(row.text("primary_user_upn") == "a@b.c")
        let graph = try database.inspect { try Row.fetchOne($0, sql: "SELECT * FROM devices WHERE device_id = 'g1'") }!
        #expect(graph.text("platform") == "android")
        #expect(graph.text("management") == "eas_mdm")
        #expect(graph.text("serial_number") == "S1")
        #expect(graph.text("last_check_in") == "2026-11-01T08:00:00Z")
    }

    @Test("enrollment: canonical values in files; Graph's deviceEnrollmentType and AOSP agent mapped; unknown stays empty")
    func enrollment() throws {
        let database = try AppDatabase.inMemory()
        _ = try importDevices("""
            device_id,platform,os_version,enrollment,management
            a1,Android,14,dedicated,mdm
            a2,Android,14,PERSONAL_WORK_PROFILE,mdm
            a3,Android,14,,mdm
            a4,AOSP,13,,mdm
            a5,Android,9,device_admin,other

            """, into: database)
        _ = try importDevices("""
            {"value": [
              {"id": "g1", "operatingSystem": "Android", "deviceEnrollmentType": "androidEnterpriseFullyManaged", "managementAgent": "mdm"},
              {"id": "g2", "operatingSystem": "Android", "deviceEnrollmentType": "androidEnterpriseCorporateWorkProfile", "managementAgent": "mdm"},
              {"id": "g3", "operatingSystem": "Android", "deviceEnrollmentType": "userEnrollment", "managementAgent": "intuneAosp"},
              {"id": "g4", "operatingSystem": "Android", "deviceEnrollmentType": "userEnrollment", "managementAgent": "mdm"},
              {"id": "g5", "operatingSystem": "macOS", "managementAgent": "jamf"},
              {"id": "g6", "operatingSystem": "Windows", "osVersion": "10.0.19045", "managementAgent": "someFutureAgent"},
              {"id": "g7", "operatingSystem": "Windows", "osVersion": "10.0.19045", "managementAgent": "configurationManagerClientMdmEas"}
            ]}
            """, into: database, format: .graphJSON, name: "g.json")
        let devices = Dictionary(uniqueKeysWithValues: try database.devices().map { ($0.deviceID, $0) })
        #expect(devices["a1"]?.enrollment == .dedicated)
        #expect(devices["a2"]?.enrollment == .personalWorkProfile)
        #expect(devices["a3"]?.enrollment == nil)
        #expect(devices["a4"]?.enrollment == .aosp, "AOSP as the OS says the enrollment")
        #expect(devices["a5"]?.enrollment == .deviceAdmin && devices["a5"]?.management == .other)
        #expect(devices["a5"]?.managementRaw == "other")
        #expect(devices["g1"]?.enrollment == .fullyManaged)
        #expect(devices["g2"]?.enrollment == .corporateWorkProfile)
        #expect(devices["g3"]?.enrollment == .aosp && devices["g3"]?.management == .mdm, "intuneAosp is MDM, enrolled AOSP")
        #expect(devices["g4"]?.enrollment == nil, "userEnrollment names no Android enrollment: nothing is guessed")
        #expect(devices["g5"]?.management == .other && devices["g5"]?.managementRaw == "jamf")
        #expect(devices["g6"]?.management == .other && devices["g6"]?.managementRaw == "someFutureAgent")
        #expect(devices["g7"]?.management == .easMDM && devices["g7"]?.managementRaw == nil)
    }

    @Test("re-import upserts and counts inserted, updated and unchanged")
    func upsertCounts() throws {
        let database = try AppDatabase.inMemory()
        let first = try importDevices(Self.header + "d1,A,,,iOS,17,mdm,,,true,\nd2,B,,,iOS,17,mdm,,,,\n", into: database)
        #expect((first.inserted, first.updated, first.unchanged) == (2, 0, 0))
        let second = try importDevices(Self.header + "d1,A,,,iOS,17,mdm,,,true,\nd2,B2,,,iOS,17,mdm,,,,\nd3,C,,,Android,6,eas,,,,\n", into: database)
        #expect((second.inserted, second.updated, second.unchanged) == (1, 1, 1))
        #expect(try database.inspect { try String.fetchOne($0, sql: "SELECT device_name FROM devices WHERE device_id = 'd2'") } == "B2")
        // a file without the passcode column keeps the stored passcode state
        let third = try importDevices("device_id,platform,os_version,device_name,management\nd1,iOS,17,A,mdm\n", into: database)
        #expect((third.inserted, third.updated, third.unchanged) == (0, 0, 1))
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT passcode_set FROM devices WHERE device_id = 'd1'") } == 1)
        let imports = try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM imports") }
        let audits = try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_log WHERE event = 'import'") }
        #expect(imports == 3 && audits == 3)
    }

    @Test("users are unique regardless of case")
    func usersCaseInsensitive() throws {
        let database = try AppDatabase.inMemory()
        let path = try TestSupport.file("users.csv", "UPN,Display Name\nJane@Contoso.com,Jane\n")
        _ = try InventoryImporter.run(ImportRequest(kind: .users, path: path, actor: "t"), into: database)
        let again = try TestSupport.file("users.csv", "upn,display_name\njane@contoso.com,Jane\n")
        let summary = try InventoryImporter.run(ImportRequest(kind: .users, path: again, actor: "t"), into: database)
        #expect(summary.inserted == 0 && summary.updated == 1)
        let dup = try TestSupport.file("users.csv", "upn\na@b.c\nA@B.C\n")
        #expect(throws: ImportError.malformed(SourceLocation(file: dup, line: 3, column: 1), "duplicate upn \"A@B.C\" (first at line 2)")) {
            _ = try InventoryImporter.run(ImportRequest(kind: .users, path: dup, actor: "t"), into: database)
        }
    }

    /// Bad files and where they must be refused.
    static let badFiles: [(name: String, text: String, line: Int, column: Int, fragment: String)] = [
        ("unknown management", header + "d1,,,,iOS,17,PCagentX,,,,\n", 2, 7, "expected one of mdm, eas, eas_mdm, software_client, other, got \"PCagentX\""),
        ("unknown enrollment", "device_id,platform,enrollment\nd1,Android,work_profile\n", 2, 3,
         "expected one of dedicated, fully_managed, corporate_work_profile, personal_work_profile, aosp, device_admin or empty, got \"work_profile\""),
        ("unterminated quote", header + "d1,\"open,,,iOS,17,mdm,,,,\n", 2, 2, "unterminated quoted field"),
        ("ragged row", header + "d1,,,,iOS,17,mdm,,,\n", 2, 11, "expected 11 fields as in the header, found 10"),
        ("duplicate key", header + "d1,,,,iOS,17,mdm,,,,\nd2,,,,iOS,17,mdm,,,,\nd1,,,,iOS,17,mdm,,,,\n", 4, 1, "duplicate device_id \"d1\" (first at line 2)"),
        ("invalid UTF-8", header + "d1,Caf\u{FFFD},,,iOS,17,mdm,,,,\n", 2, 2, "invalid UTF-8"),
        ("missing required column", "device_id,device_name\nd1,x\n", 1, 1, "missing required column platform"),
        ("bad passcode flag", header + "d1,,,,iOS,17,mdm,,,maybe,\n", 2, 10, "expected true, false or empty, got \"maybe\""),
        ("bad check-in time", header + "d1,,,,iOS,17,mdm,,,,yesterday\n", 2, 11, "expected an ISO 8601 time"),
        ("empty device id", header + " ,,,,iOS,17,mdm,,,,\n", 2, 1, "device_id is required"),
        ("empty platform", header + "d1,,,,,17,mdm,,,,\n", 2, 5, "platform is required"),
        ("repeated column", "device_id,platform,Device ID\nd1,iOS,d1\n", 1, 3, "repeats column 1"),
        ("empty file", "", 1, 1, "empty file"),
    ]

    @Test("refuses a bad file whole, naming line and column, leaving the database byte-for-byte unchanged",
          arguments: badFiles.indices)
    func refusesBadFile(index: Int) throws {
        let bad = Self.badFiles[index]
        let dir = try TestSupport.temporaryDirectory()
        let dbPath = dir.appendingPathComponent("db.sqlite").path
        var text = bad.text
        var bytes = Array(text.utf8)
        if bad.name == "invalid UTF-8" {  // put a real invalid byte where the replacement character is
            text = text.replacingOccurrences(of: "\u{FFFD}", with: "#")
            bytes = Array(text.utf8).map { $0 == UInt8(ascii: "#") ? 0xFF : $0 }
        }
        let badPath = dir.appendingPathComponent("bad.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: badPath))

        do {
            let database = try AppDatabase.open(path: dbPath, mode: .createIfMissing)
            _ = try InventoryImporter.run(ImportRequest(
                kind: .devices, path: TestSupport.samples.appendingPathComponent("devices.csv").path, actor: "t"), into: database)
            try database.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: dbPath))
        do {
            let database = try AppDatabase.open(path: dbPath, mode: .createIfMissing)
            defer { try? database.close() }
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: badPath, actor: "t"), into: database)
            Issue.record("\(bad.name): accepted")
        } catch ImportError.malformed(let location, let message) {
            #expect(location == SourceLocation(file: badPath, line: bad.line, column: bad.column), "\(bad.name): \(message)")
            #expect(message.contains(bad.fragment), "\(bad.name): \(message)")
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: dbPath))
        let unchanged = before == after
        #expect(unchanged, "\(bad.name): database changed")
        let walExists = FileManager.default.fileExists(atPath: dbPath + "-wal")
        #expect(!walExists, "\(bad.name): a WAL file was left behind")
    }

    @Test("refuses malformed JSON naming where the object starts")
    func refusesBadJSON() throws {
        let database = try AppDatabase.inMemory()
        let graph = try TestSupport.file("g.json", "{\"value\": [\n  {\"id\": \"a\", \"operatingSystem\": \"iOS\"},\n  {\"id\": \"b\", \"operatingSystem\": 7, \"x\": tru}\n]}")
        #expect(throws: ImportError.self) { _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: graph, actor: "t"), into: database) }
        do {
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: graph, actor: "t"), into: database)
        } catch ImportError.malformed(let location, _) {
            #expect(location.line == 3 && location.column == 3)
        }
        let lines = try TestSupport.file("d.jsonl", "{\"device_id\": \"a\", \"platform\": \"iOS\"}\n\n{\"device_id\": \"b\", \"management\": \"weird\", \"platform\": \"iOS\"}\n")
        #expect(throws: ImportError.malformed(SourceLocation(file: lines, line: 3, column: 1),
                                              "\"management\": expected one of mdm, eas, eas_mdm, software_client, other, got \"weird\"")) {
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: lines, actor: "t"), into: database)
        }
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM devices") } == 0)
    }

    @Test("JSON inventories: a NUL character or a field over the size limit is a malformed object at its line, in JSONL and Graph JSON")
    func jsonFieldChecks() throws {
        let database = try AppDatabase.inMemory()
        let long = String(repeating: "x", count: 70_000)
        let cases: [(name: String, text: String, line: Int, fragment: String)] = [
            ("nul.jsonl", "{\"device_id\": \"a\", \"platform\": \"iOS\"}\n{\"device_id\": \"b\\u0000\", \"platform\": \"iOS\"}\n", 2,
             "a NUL character"),
            ("long.jsonl", "{\"device_id\": \"a\", \"platform\": \"iOS\", \"device_name\": \"\(long)\"}\n", 1, "longer than 65536 bytes"),
            ("long.json", "{\"value\": [\n  {\"id\": \"a\", \"operatingSystem\": \"iOS\"},\n  {\"id\": \"b\", \"operatingSystem\": \"iOS\", \"deviceName\": \"\(long)\"}\n]}",
             3, "longer than 65536 bytes"),
        ]
        for bad in cases {
            let path = try TestSupport.file(bad.name, bad.text)
            do {
                _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: path, actor: "t"), into: database)
                Issue.record("\(bad.name): accepted")
            } catch ImportError.malformed(let location, let message) {
                #expect(location.line == bad.line && message.contains(bad.fragment), "\(bad.name): \(location) \(message)")
            }
        }
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM devices") } == 0)
    }

    @Test("--skip-invalid imports the good rows and reports every skipped one")
    func skipInvalid() throws {
        let database = try AppDatabase.inMemory()
        let path = try TestSupport.file("mixed.csv", Self.header + "d1,,,,iOS,17,mdm,,,,\nd2,,,,iOS,17,bogus,,,,\nd3,\"x\"y,,,iOS,17,mdm,,,,\nd1,,,,iOS,17,mdm,,,,\nd4,,,,Android,6,eas,,,,\n")
        var skipped: [SkippedRow] = []
        let summary = try InventoryImporter.run(
            ImportRequest(kind: .devices, path: path, skipInvalid: true, actor: "t"), into: database, onSkip: { skipped.append($0) })
        #expect(summary.inserted == 2 && summary.skipped == 3)
        #expect(skipped.map(\.location.line) == [3, 4, 5])
        #expect(try database.inspect { try String.fetchAll($0, sql: "SELECT device_id FROM devices ORDER BY 1") } == ["d1", "d4"])
    }

    @Test("a missing file is 'no input', a directory is unreadable")
    func missingFile() {
        #expect(throws: ImportError.fileNotFound("/nonexistent/devices.csv")) {
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: "/nonexistent/devices.csv", actor: "t"),
                                          into: try AppDatabase.inMemory())
        }
        #expect(ImportError.fileNotFound("x").failureKind == .noInput)
        #expect(ImportError.malformed(SourceLocation(file: "f", line: 1, column: 1), "m").failureKind == .dataError)
    }

    @Test("records the import: who, file, sha256 and counts, plus one audit row")
    func recordsImport() throws {
        let database = try AppDatabase.inMemory()
        let summary = try importDevices(Self.header + "d1,,,,iOS,17,mdm,,,,\n", into: database)
        let row = try database.inspect { try Row.fetchOne($0, sql: "SELECT * FROM imports") }!
        #expect(row.text("actor") == "tester")
        #expect(row.text("sha256") == summary.sha256)
        #expect(row.text("rows") == "1")
        #expect(row.text("kind") == "devices")
        #expect(summary.sha256.count == 64)
        let audit = try database.inspect { try Row.fetchOne($0, sql: "SELECT * FROM audit_log") }!
        #expect(audit.text("event") == "import")
        #expect(audit.text("actor") == "tester")
        #expect(audit.text("detail")?.contains(summary.sha256) == true)
    }

    @Test("Graph beta's five Android deviceEnrollmentType values are mapped, both AOSP ones to aosp",
          arguments: [("androidEnterpriseDedicatedDevice", Enrollment.dedicated),
                      ("androidEnterpriseFullyManaged", .fullyManaged),
                      ("androidEnterpriseCorporateWorkProfile", .corporateWorkProfile),
                      ("androidAOSPUserOwnedDeviceEnrollment", .aosp),
                      ("androidAOSPUserlessDeviceEnrollment", .aosp)])
    func graphAndroidEnrollment(type: String, enrollment: Enrollment) throws {
        let database = try AppDatabase.inMemory()
        _ = try importDevices("""
            [{"id": "a1", "operatingSystem": "Android", "osVersion": "14", "managementAgent": "mdm", "deviceEnrollmentType": "\(type)"}]
            """, into: database, format: .graphJSON, name: "g.json")
        #expect(try database.devices().first?.enrollment == enrollment)
        #expect(Enrollment(graphEnrollmentType: type) == enrollment)
    }

    @Test("a devices import counts the Android devices of the database without a known enrollment; a users import does not")
    func androidWithoutEnrollmentCounted() throws {
        let database = try AppDatabase.inMemory()
        let first = try importDevices("""
            device_id,platform,os_version,enrollment
            a1,Android,14,
            a2,AndroidForWork,13,
            a3,Android,14,dedicated
            a4,AOSP,13,
            i1,iOS,17,

            """, into: database)
        #expect(first.androidWithoutEnrollment == 2, "AOSP as the OS says the enrollment; iOS needs none")
        // a later file that says nothing of a1 and a2 still finds them
        let second = try importDevices("device_id,platform,os_version,enrollment\na5,Android,14,fully_managed\n", into: database)
        #expect(second.androidWithoutEnrollment == 2)
        let users = try InventoryImporter.run(ImportRequest(kind: .users, path: try TestSupport.file("u.csv", "upn\na@b.c\n"),
                                                            actor: "tester"), into: database)
        #expect(users.androidWithoutEnrollment == nil)
        #expect(EnrollmentNotice.afterImport(2)?.contains("2 Android devices have no known enrollment") == true)
        #expect(EnrollmentNotice.afterImport(2)?.contains("--graph-beta-fields") == true)
        #expect(EnrollmentNotice.afterImport(0) == nil)
    }
}
