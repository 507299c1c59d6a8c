import Foundation
import Testing
@testable import MDMBatchKit

/// `InventoryFile` (graph-sim's reader, no database) against the importer: the same records
/// from the same files, the same refusal from the same bad file.
@Suite("Inventory files read without a database")
struct InventoryFileTests {
    /// Every stored value of a device (a `DeviceRecord` is an `InventoryDevice`), in one comparable line.
    static func line(_ d: InventoryDevice) -> String {
        [d.deviceID, d.deviceName, d.serialNumber, d.imei, d.platform, d.osRaw, d.osVersion, d.management?.rawValue,
         d.managementRaw, d.enrollment?.rawValue, d.primaryUserUPN, d.enrolledByUPN, d.passcodeSet.map { "\($0)" },
         d.lastCheckIn].map { $0 ?? "∅" }.joined(separator: "|")
    }

    static func imported(_ kind: InventoryKind, _ path: String) throws -> AppDatabase {
        let database = try AppDatabase.inMemory()
        _ = try InventoryImporter.run(ImportRequest(kind: kind, path: path, actor: "t"), into: database)
        return database
    }

    static let messy = """
        device_id,platform,os_version,management,enrollment,passcode_set,last_check_in,primary_user_upn
          b-2 ,Windows,10.0.19045,MDM/EAS,,TRUE,2026-11-25T09:30:00+01:00,Ann@Contoso.com
        a-1,AOSP,12,jamf,,false,2026-11-25T08:30:00Z,
        é-3,android (work profile),13,Intune,personal_work_profile,,,bob@contoso.com
        C-4,Desktop,,intuneClient,,,,
        """

    @Test("the sample fleet and users, and a messy file, read as the importer stores them",
          arguments: ["devices.csv", "devices-intune.csv", "devices-graph.json", "messy.csv"])
    func sameDevices(file: String) throws {
        let path = file == "messy.csv" ? try TestSupport.file(file, Self.messy) : TestSupport.samples.appendingPathComponent(file).path
        let stored = try Self.imported(.devices, path).devices().map(Self.line)
        let read = try InventoryFile.devices(at: path).map(Self.line)
        #expect(read == stored)
        #expect(!read.isEmpty)
    }

    @Test("users read as stored: in upn order regardless of case")
    func sameUsers() throws {
        let path = try TestSupport.file("users.csv", """
            upn,display_name,email,department
            zoe@contoso.com,Zoe,,Sales
            Adam@Contoso.com , Adam ,adam@contoso.com,
            bob@contoso.com,,,
            """)
        for path in [path, TestSupport.samples.appendingPathComponent("users.csv").path] {
            let stored = try Self.imported(.users, path).users().map { [$0.upn, $0.displayName, $0.email, $0.department] }
            let read = try InventoryFile.users(at: path).map { [$0.upn, $0.displayName, $0.email, $0.department] }
            #expect(read == stored)
        }
    }

    @Test("a bad file is refused with the importer's message", arguments: [
        ("devices", "device_id,platform\nd-1,iOS\nd-1,Android\n"),
        ("devices", "device_id,platform,management\nd-1,iOS,Gadget\n"),
        ("devices", "device_id,platform\nd-1,iOS,extra\n"),
        ("devices", "device_name\nx\n"),
        ("devices", "[{\"id\": \"d-1\", \"operatingSystem\": \"iOS\"}, {\"id\": \"d-1\", \"operatingSystem\": \"iOS\"}]"),
        ("devices", "{\"device_id\": \"d-1\"}\n"),
        ("users", "upn\nann@contoso.com\nANN@contoso.com\n"),
        ("users", "upn,email\n,a@b\n"),
    ])
    func sameRefusal(kind: String, text: String) throws {
        let path = try TestSupport.file("bad-\(kind).txt", text)
        let kind = InventoryKind(rawValue: kind)!
        let imported = #expect(throws: ImportError.self) { _ = try Self.imported(kind, path) }
        let read = #expect(throws: ImportError.self) {
            if kind == .devices { _ = try InventoryFile.devices(at: path) } else { _ = try InventoryFile.users(at: path) }
        }
        #expect(read == imported)
        #expect(read?.errorDescription == imported?.errorDescription)
    }

    @Test("a missing file is the importer's no-input error")
    func missing() throws {
        #expect(throws: ImportError.fileNotFound("/nonexistent/devices.csv")) {
            _ = try InventoryFile.devices(at: "/nonexistent/devices.csv")
        }
    }
}
