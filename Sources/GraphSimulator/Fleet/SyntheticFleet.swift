import Foundation
import MDMBatchShared

extension Fleet {
    /// `count` made-up devices for benchmarks and paging tests: a seeded mix of iPhones and
    /// iPads, Android devices of every enrollment (and some of unknown enrollment), Macs and
    /// Windows PCs, with GUID ids, one user for about every two devices. The same seed gives
    /// the same fleet.
    public static func synthetic(count: Int, seed: UInt64) -> Fleet {
        var random = SplitMix64(seed: seed ^ 0x5EED_F1EE_7000_0000)
        let userCount = max(1, count / 2)
        let reference = 1_795_680_000  // 2026-11-26T08:00:00Z
        // (os, version, enrollment, weight)
        let kinds: [(String, String, Enrollment?, Int)] = [
            ("iOS", "17.5", nil, 24), ("iPadOS", "17.4", nil, 6), ("macOS", "14.5", nil, 12), ("Windows", "10.0.22631.3593", nil, 16),
            ("Android", "14", .dedicated, 6), ("Android", "14", .fullyManaged, 8), ("Android", "13", .corporateWorkProfile, 6),
            ("Android", "13", .personalWorkProfile, 6), ("Android", "12", .aosp, 4), ("Android", "9", .deviceAdmin, 4),
            ("Android", "13", nil, 8),
        ]
        let total = kinds.reduce(0) { $0 + $1.3 }
        // ids first, sorted, so that the devices are made in the order Graph lists them
        // (sorting the devices themselves would move large values around)
        let ids = (0..<count).map { _ in guid(&random) }.sorted()
        var devices: [SimDevice] = []
        devices.reserveCapacity(count)
        for (n, id) in ids.enumerated() {
            var pick = Int(random.next() % UInt64(total))
            var kind = kinds[0]
            for candidate in kinds {
                if pick < candidate.3 { kind = candidate; break }
                pick -= candidate.3
            }
            let user = "user\(Int(random.next() % UInt64(userCount)) + 1)@contoso.com"
            let phone = kind.0 == "iOS" || (kind.0 == "Android" && kind.2 != .dedicated)
            devices.append(SimDevice(
                id: id, deviceName: "\(kind.0) device \(n + 1)", osRaw: kind.0, osVersion: kind.1,
                management: .mdm, managementRaw: nil, enrollment: kind.2, primaryUserUPN: kind.2 == .dedicated ? nil : user,
                enrolledByUPN: kind.2 == .dedicated ? nil : user, serialNumber: serial(&random),
                imei: phone ? digits(&random, 15) : nil, lastCheckIn: checkIn(&random, reference: reference)))
        }
        let users = (1...userCount).map { ("user\($0)@contoso.com", $0) }.sorted { $0.0 < $1.0 }.map { upn, n in
            SimUser(upn: upn, displayName: "User \(n)", mail: upn, department: ["Sales", "Finance", "Engineering", "Operations"][n % 4])
        }
        return Fleet(devices: devices, users: users)
    }

    // Byte buffers, not String(format:): a hundred thousand devices are made in well under a second.
    private static let hex = Array("0123456789abcdef".utf8)

    private static func guid(_ random: inout SplitMix64) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var a = random.next(), b = random.next()
        var position = 0
        for index in 0..<32 {
            if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
            let nibble: UInt64
            if index < 16 { nibble = a & 0xF; a >>= 4 } else { nibble = b & 0xF; b >>= 4 }
            bytes[position] = hex[Int(nibble)]
            position += 1
        }
        bytes[14] = UInt8(ascii: "4")  // a version-4 GUID, as Intune's look
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let serialAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789".utf8)

    private static func serial(_ random: inout SplitMix64) -> String {
        String(decoding: (0..<12).map { _ in serialAlphabet[Int(random.next() % UInt64(serialAlphabet.count))] }, as: UTF8.self)
    }

    private static func digits(_ random: inout SplitMix64, _ count: Int) -> String {
        String(decoding: (0..<count).map { _ in UInt8(ascii: "0") + UInt8(random.next() % 10) }, as: UTF8.self)
    }

    /// `2026-11-DDTHH:MM:SSZ`, some time in the fortnight before the reference day.
    private static func checkIn(_ random: inout SplitMix64, reference: Int) -> String {
        var time = time_t(reference - Int(random.next() % (14 * 86_400)))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> [UInt8] { [UInt8(ascii: "0") + UInt8(n / 10), UInt8(ascii: "0") + UInt8(n % 10)] }
        let year = Int(parts.tm_year) + 1900
        let bytes = Array(String(year).utf8) + [UInt8(ascii: "-")] + two(parts.tm_mon + 1) + [UInt8(ascii: "-")]
            + two(parts.tm_mday) + [UInt8(ascii: "T")] + two(parts.tm_hour) + [UInt8(ascii: ":")] + two(parts.tm_min)
            + [UInt8(ascii: ":")] + two(parts.tm_sec) + [UInt8(ascii: "Z")]
        return String(decoding: bytes, as: UTF8.self)
    }
}
