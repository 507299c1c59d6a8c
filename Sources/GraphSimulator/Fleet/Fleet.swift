import Crypto
import Foundation
import MDMBatchShared

/// A device as Graph's `managedDevice` shows it.
public struct SimDevice: Sendable {
    public var id: String
    public var deviceName: String?
    /// `operatingSystem`: the OS as imported.
    public var operatingSystem: String
    public var osVersion: String?
    public var managementAgent: String
    public var deviceEnrollmentType: String
    public var userPrincipalName: String?
    /// beta only.
    public var enrolledByUserPrincipalName: String?
    public var serialNumber: String?
    public var imei: String?
    public var lastSyncDateTime: String
    public var platform: IntunePlatform
    public var management: Management?

    public init(_ record: InventoryDevice) {
        self.init(id: record.deviceID, deviceName: record.deviceName, osRaw: record.osRaw, osVersion: record.osVersion,
                  management: record.management, managementRaw: record.managementRaw, enrollment: record.enrollment,
                  primaryUserUPN: record.primaryUserUPN, enrolledByUPN: record.enrolledByUPN,
                  serialNumber: record.serialNumber, imei: record.imei, lastCheckIn: record.lastCheckIn)
    }

    init(id: String, deviceName: String?, osRaw: String, osVersion: String?, management: Management?, managementRaw: String?,
         enrollment: Enrollment?, primaryUserUPN: String?, enrolledByUPN: String?, serialNumber: String?, imei: String?,
         lastCheckIn: String?) {
        self.id = id
        self.deviceName = deviceName
        operatingSystem = osRaw
        self.osVersion = osVersion
        self.management = management
        managementAgent = Self.managementAgent(management, raw: managementRaw, enrollment: enrollment)
        deviceEnrollmentType = enrollment?.graphEnrollmentType ?? (primaryUserUPN == nil ? "unknown" : "userEnrollment")
        userPrincipalName = primaryUserUPN
        enrolledByUserPrincipalName = enrolledByUPN
        self.serialNumber = serialNumber
        self.imei = imei
        // Graph's "never" is the year 1
        lastSyncDateTime = lastCheckIn ?? "0001-01-01T00:00:00Z"
        platform = IntunePlatform(osRaw: osRaw, osVersion: osVersion, enrollment: enrollment)
    }

    /// Graph's `managementAgent` for a stored management value. An unknown one is taken as
    /// `mdm` (as mdmbatch does); `other` keeps the value it was imported with.
    static func managementAgent(_ management: Management?, raw: String?, enrollment: Enrollment?) -> String {
        if enrollment == .aosp && (management == nil || management == .mdm) { return "intuneAosp" }
        switch management {
        case .mdm, nil: return "mdm"
        case .eas: return "eas"
        case .easMDM: return "easMdm"
        case .softwareClient: return "intuneClient"
        case .other: return raw ?? "unknown"
        }
    }
}

/// A user as Graph's `user` shows it.
public struct SimUser: Sendable {
    /// A GUID derived from the UPN, so that it is the same in every run.
    public var id: String
    public var userPrincipalName: String
    public var displayName: String?
    public var mail: String?
    public var department: String?

    public init(_ record: InventoryUser) {
        self.init(upn: record.upn, displayName: record.displayName, mail: record.email, department: record.department)
    }

    init(upn: String, displayName: String?, mail: String?, department: String?) {
        id = Self.guid(for: upn.lowercased())
        userPrincipalName = upn
        self.displayName = displayName
        self.mail = mail
        self.department = department
    }

    static func guid(for text: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in SHA256.hash(data: Data(text.utf8)).prefix(16).enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The devices and users the simulated tenant holds, in `id` / `upn` order.
public struct Fleet: Sendable {
    public let devices: [SimDevice]
    public let users: [SimUser]
    private let deviceIndex: [String: Int]

    public init(devices: [SimDevice], users: [SimUser]) {
        self.devices = devices
        self.users = users
        var index: [String: Int] = [:]
        index.reserveCapacity(devices.count)
        for (offset, device) in devices.enumerated() { index[device.id] = offset }
        deviceIndex = index
    }

    /// The device's position in `devices` (Graph ids are matched exactly).
    public func index(of id: String) -> Int? {
        deviceIndex[id]
    }

    /// Loads inventory files as mdmbatch's importer reads them: any format it reads. A
    /// malformed file throws the importer's error (`file:line:column: …`).
    public static func load(devicesFile: String, usersFile: String?) throws -> Fleet {
        let devices = try InventoryFile.devices(at: devicesFile).map(SimDevice.init)
        let users = try usersFile.map { try InventoryFile.users(at: $0).map(SimUser.init) } ?? []
        return Fleet(devices: devices, users: users)
    }
}
