import Foundation
import MDMBatchKit

extension Fleet {
    /// `count` made-up devices for benchmarks and paging tests: a seeded mix of iPhones and
    /// iPads, Android devices of every enrollment (and some of unknown enrollment), Macs and
    /// Windows PCs, with GUID ids, one user for about every two devices. The same seed gives
    /// the same fleet.
    public static func synthetic(count: Int, seed: UInt64) -> Fleet {
        var random = SplitMix64(seed: seed ^ 0x5EED_F1EE_7000_0000)
        let userCount = max(1, count / 2)
        let reference = Date(timeIntervalSince1970: 1_795_680_000)  // 2026-11-26T00:00:00Z
        // (os, version, enrollment, weight)
        let kinds: [(String, String, Enrollment?, Int)] = [
            ("iOS", "17.5", nil, 24), ("iPadOS", "17.4", nil, 6), ("macOS", "14.5", nil, 12), ("Windows", "10.0.22631.3593", nil, 16),
            ("Android", "14", .dedicated, 6), ("Android", "14", .fullyManaged, 8), ("Android", "13", .corporateWorkProfile, 6),
            ("Android", "13", .personalWorkProfile, 6), ("Android", "12", .aosp, 4), ("Android", "9", .deviceAdmin, 4),
            ("Android", "13", nil, 8),
        ]
        let total = kinds.reduce(0) { $0 + $1.3 }
        var devices: [SimDevice] = []
        devices.reserveCapacity(count)
        for n in 0..<count {
            var pick = Int(random.next() % UInt64(total))
            var kind = kinds[0]
            for candidate in kinds {
                if pick < candidate.3 { kind = candidate; break }
                pick -= candidate.3
            }
            let user = "user\(Int(random.next() % UInt64(userCount)) + 1)@contoso.com"
            let phone = kind.0 == "iOS" || (kind.0 == "Android" && kind.2 != .dedicated)
            let checkIn = reference.addingTimeInterval(-Double(random.next() % (14 * 86_400)))
            devices.append(SimDevice(
                id: guid(&random), deviceName: "\(kind.0) device \(n + 1)", osRaw: kind.0, osVersion: kind.1,
                management: .mdm, managementRaw: nil, enrollment: kind.2, primaryUserUPN: kind.2 == .dedicated ? nil : user,
                enrolledByUPN: kind.2 == .dedicated ? nil : user, serialNumber: serial(&random),
                imei: phone ? digits(&random, 15) : nil, lastCheckIn: String(GraphTime.string(checkIn).prefix(19)) + "Z"))
        }
        devices.sort { $0.id < $1.id }
        let users = (1...userCount).map { n in
            SimUser(upn: "user\(n)@contoso.com", displayName: "User \(n)", mail: "user\(n)@contoso.com",
                    department: ["Sales", "Finance", "Engineering", "Operations"][n % 4])
        }.sorted { $0.userPrincipalName < $1.userPrincipalName }
        return Fleet(devices: devices, users: users)
    }

    private static func guid(_ random: inout SplitMix64) -> String {
        let a = random.next(), b = random.next()
        let hex = String(format: "%016llx%016llx", a, b)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-"
            + String(c[20..<32])
    }

    private static func serial(_ random: inout SplitMix64) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
        return String((0..<12).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    private static func digits(_ random: inout SplitMix64, _ count: Int) -> String {
        String((0..<count).map { _ in Character(String(random.next() % 10)) })
    }
}
