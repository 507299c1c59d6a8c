import Foundation
import MDMBatchKit
import Testing

@Suite("What the simulator lists, mdmbatch's importer reads back")
struct RoundTripTests {
    @Test("the pages of /beta managedDevices, saved as Graph JSON, import into the same fleet (enrollment where Graph tells it)")
    func devicesImportBack() async throws {
        let fleetFile = try temporaryFile("devices.csv", TestFleet.csv)
        try await withRoutes { sim in
            let token = try await sim.token()
            var values: [Any] = []
            var next: String? = "/beta/deviceManagement/managedDevices?$top=5&$select=id,deviceName,serialNumber,imei,"
                + "operatingSystem,osVersion,managementAgent,userPrincipalName,enrolledByUserPrincipalName,"
                + "lastSyncDateTime,deviceEnrollmentType"
            while let link = next {
                let page = try await sim.get(link, token: token)
                values += page.json["value"] as? [Any] ?? []
                next = page.json["@odata.nextLink"] as? String
            }
            let exported = try temporaryFile("graph.json", String(decoding: try JSONSerialization.data(
                withJSONObject: ["value": values]), as: UTF8.self))

            let original = try AppDatabase.inMemory(), imported = try AppDatabase.inMemory()
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: fleetFile, actor: "test"), into: original)
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: exported, actor: "test"), into: imported)
            let before = try original.devices(), after = try imported.devices()
            #expect(after.count == before.count)
            for (a, b) in zip(before, after) {
                #expect(a.deviceID == b.deviceID)
                #expect(a.osRaw == b.osRaw && a.osVersion == b.osVersion && a.platform == b.platform)
                #expect(a.management == b.management, "\(a.deviceID)")
                #expect(a.managementRaw == b.managementRaw, "\(a.deviceID)")
                #expect(a.serialNumber == b.serialNumber && a.imei == b.imei && a.deviceName == b.deviceName)
                #expect(a.primaryUserUPN == b.primaryUserUPN && a.enrolledByUPN == b.enrolledByUPN)
                #expect(a.lastCheckIn == b.lastCheckIn)
                // Graph names Android Enterprise enrollments and AOSP, not the others
                let told: Set<Enrollment> = [.dedicated, .fullyManaged, .corporateWorkProfile, .aosp]
                #expect(b.enrollment == (a.enrollment.map { told.contains($0) ? $0 : nil } ?? nil), "\(a.deviceID)")
            }
        }
    }
}
