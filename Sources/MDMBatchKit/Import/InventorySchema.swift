import Foundation

/// What the importer needs to know of one inventory besides its fields (`InventoryFields`):
/// its table, and how a normalised row becomes an upsert.
protocol InventorySchema: InventoryFields {
    static var table: String { get }
    static var keyColumn: String { get }
    /// The table columns bound by `bind`, in parameter order.
    static var columns: [String] { get }
    /// The table columns that field `index` fills.
    static func columns(ofField index: Int) -> [String]
    /// Columns an input of `format` cannot always tell: where it says nothing (empty), the
    /// stored value stays (Graph names no enrollment for most devices).
    static func keptWhenEmpty(in format: ImportFormat) -> Set<String>

    /// Binds the values of one row (nil: no such column, or JSON null).
    mutating func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError)
}

extension InventorySchema {
    static func keptWhenEmpty(in format: ImportFormat) -> Set<String> { [] }

    /// Number of parameters of the upsert before the import id and line.
    static var valueCount: Int32 { Int32(columns.count) }

    /// Parameters of one row of the upsert: its values, the import id and the line.
    static var parametersPerRow: Int32 { valueCount + 2 }
}

extension UserSchema: InventorySchema {
    static let table = "users"
    static let keyColumn = "upn"
    static let columns = fieldNames

    static func columns(ofField index: Int) -> [String] { [fieldNames[index]] }

    func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError) {
        let row = try normalise(values)
        statement.bind(1, bytes: row.upn)
        statement.bind(2, bytesOrNull: row.displayName)
        statement.bind(3, bytesOrNull: row.email)
        statement.bind(4, bytesOrNull: row.department)
    }
}

extension DeviceSchema: InventorySchema {
    static let table = "devices"
    static let keyColumn = "device_id"
    static let columns = ["device_id", "device_name", "serial_number", "imei", "platform", "os_raw", "os_version",
                          "management", "management_raw", "primary_user_upn", "enrolled_by_upn", "passcode_set",
                          "last_check_in", "enrollment"]

    /// A Graph `deviceEnrollmentType` such as `userEnrollment` names no Android enrollment:
    /// it does not erase the one a file recorded.
    static func keptWhenEmpty(in format: ImportFormat) -> Set<String> {
        format == .graphJSON ? ["enrollment"] : []
    }

    static func columns(ofField index: Int) -> [String] {
        switch Field(rawValue: index)! {
        case .platform: ["platform", "os_raw"]
        case .management: ["management", "management_raw"]
        default: [fieldNames[index]]
        }
    }

    mutating func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError) {
        let row = try normalise(values)
        statement.bind(1, bytes: row.deviceID)
        statement.bind(2, bytesOrNull: row.deviceName)
        statement.bind(3, bytesOrNull: row.serialNumber)
        statement.bind(4, bytesOrNull: row.imei)
        statement.bind(5, row.platform.storedValue)
        statement.bind(6, bytes: row.os)
        statement.bind(7, bytesOrNull: row.osVersion)
        statement.bind(8, row.management?.rawValue)
        if let raw = row.managementRaw { statement.bind(9, bytesOrNull: raw) } else { statement.bind(9, nil as String?) }
        statement.bind(10, bytesOrNull: row.primaryUserUPN)
        statement.bind(11, bytesOrNull: row.enrolledByUPN)
        statement.bind(12, row.passcodeSet.map(Int64.init))
        if let checkIn = row.lastCheckIn { statement.bind(13, checkIn) } else { statement.bind(13, bytesOrNull: row.lastCheckInRaw) }
        statement.bind(14, row.enrollment?.rawValue)
    }
}

/// The importer's upsert takes the rows the shared readers find.
extension UpsertWriter: InventoryRowWriter {}
