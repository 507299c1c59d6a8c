import GRDB

/// A row of `devices`, as stored (DESIGN.md, "Input files" and "Precise points").
public struct DeviceRecord: Codable, Sendable, Equatable, FetchableRecord {
    public var deviceID: String
    public var deviceName: String?
    public var serialNumber: String?
    public var imei: String?
    /// The platform id under intune-2017, `unlisted` or `version_needed`.
    public var platform: String
    /// The platform / OS string exactly as imported.
    public var osRaw: String
    public var osVersion: String?
    public var management: Management?
    /// The management value as imported, kept when it maps to `other`.
    public var managementRaw: String?
    public var enrollment: Enrollment?
    public var primaryUserUPN: String?
    public var enrolledByUPN: String?
    public var passcodeSet: Bool?
    /// ISO 8601, UTC.
    public var lastCheckIn: String?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id", deviceName = "device_name", serialNumber = "serial_number", imei, platform
        case osRaw = "os_raw", osVersion = "os_version", management, managementRaw = "management_raw", enrollment
        case primaryUserUPN = "primary_user_upn", enrolledByUPN = "enrolled_by_upn", passcodeSet = "passcode_set"
        case lastCheckIn = "last_check_in"
    }
}

/// A row of `users`.
public struct UserRecord: Codable, Sendable, Equatable, FetchableRecord {
    public var upn: String
    public var displayName: String?
    public var email: String?
    public var department: String?

    enum CodingKeys: String, CodingKey {
        case upn, displayName = "display_name", email, department
    }
}

extension AppDatabase {
    /// Every device, in `device_id` order.
    public func devices() throws -> [DeviceRecord] {
        try read { store in try DeviceRecord.fetchAll(store.db, sql: "SELECT * FROM devices ORDER BY device_id") }
    }

    /// Android devices without a recorded enrollment: today's rules refuse them
    /// (`enrollment_unknown`), and an import says how many there are.
    public func androidDevicesWithoutEnrollment() throws -> Int {
        try read { store in
            try Int.fetchOne(store.db, sql: "SELECT count(*) FROM devices WHERE platform = 'android' AND enrollment IS NULL") ?? 0
        }
    }

    /// Every user, in `upn` order.
    public func users() throws -> [UserRecord] {
        try read { store in try UserRecord.fetchAll(store.db, sql: "SELECT * FROM users ORDER BY upn") }
    }
}
