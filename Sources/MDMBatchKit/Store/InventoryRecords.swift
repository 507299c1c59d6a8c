import GRDB

/// A row of `devices`, as stored (DESIGN.md, "Input files" and "Precise points"): the device
/// an inventory file gives, as the importer stores it.
public typealias DeviceRecord = InventoryDevice

/// A row of `users`.
public typealias UserRecord = InventoryUser

extension InventoryDevice: FetchableRecord {
    public init(row: Row) {
        self.init(deviceID: row["device_id"], deviceName: row["device_name"], serialNumber: row["serial_number"], imei: row["imei"],
                  platform: row["platform"], osRaw: row["os_raw"], osVersion: row["os_version"],
                  management: (row["management"] as String?).flatMap(Management.init(rawValue:)), managementRaw: row["management_raw"],
                  enrollment: (row["enrollment"] as String?).flatMap(Enrollment.init(rawValue:)),
                  primaryUserUPN: row["primary_user_upn"], enrolledByUPN: row["enrolled_by_upn"], passcodeSet: row["passcode_set"],
                  lastCheckIn: row["last_check_in"])
    }
}

extension InventoryUser: FetchableRecord {
    public init(row: Row) {
        self.init(upn: row["upn"], displayName: row["display_name"], email: row["email"], department: row["department"])
    }
}

extension AppDatabase {
    /// Every device, of every tenant, in (tenant, `device_id`) order.
    public func devices() throws -> [DeviceRecord] {
        try read { store in try DeviceRecord.fetchAll(store.db, sql: "SELECT * FROM devices ORDER BY tenant, device_id") }
    }

    /// Every user, of every tenant, in (tenant, `upn`) order.
    public func users() throws -> [UserRecord] {
        try read { store in try UserRecord.fetchAll(store.db, sql: "SELECT * FROM users ORDER BY tenant, upn") }
    }
}
