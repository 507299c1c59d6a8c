import Foundation

/// What the importer needs to know of one inventory: its fields, the names each
/// format gives them, and how a row of field values becomes an upsert.
protocol InventorySchema {
    static var kind: InventoryKind { get }
    /// Canonical field names, in field-index order.
    static var fieldNames: [String] { get }
    /// Index of the key field (unique in a file).
    static var keyField: Int { get }
    static func columnMap(for format: ImportFormat) -> ColumnMap?
    static var table: String { get }
    static var keyColumn: String { get }
    /// The table columns bound by `bind`, in parameter order.
    static var columns: [String] { get }
    /// The table columns that field `index` fills.
    static func columns(ofField index: Int) -> [String]
    /// Columns an input of `format` cannot always tell: where it says nothing (empty), the
    /// stored value stays (Graph names no enrollment for most devices).
    static func keptWhenEmpty(in format: ImportFormat) -> Set<String>

    /// A schema reading rows of `format`.
    init(format: ImportFormat)
    /// Binds the values of one row (nil: no such column, or JSON null).
    mutating func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError)
}

extension InventorySchema {
    static func keptWhenEmpty(in format: ImportFormat) -> Set<String> { [] }

    /// Number of parameters of the upsert before the import id and line.
    static var valueCount: Int32 { Int32(columns.count) }

    /// Parameters of one row of the upsert: its values, the import id and the line.
    static var parametersPerRow: Int32 { valueCount + 2 }

    /// The value of field `index`, trimmed; nil when absent or empty.
    @inline(__always)
    static func value(_ values: [UnsafeRawBufferPointer?], _ index: Int) -> UnsafeRawBufferPointer? {
        guard let raw = values[index] else { return nil }
        let trimmed = FieldText.trimmed(raw)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// users: `upn` (required, unique regardless of case), `display_name`, `email`, `department`.
struct UserSchema: InventorySchema {
    static let kind = InventoryKind.users
    static let fieldNames = ["upn", "display_name", "email", "department"]
    static let keyField = 0
    static let table = "users"
    static let keyColumn = "upn"
    static let columns = fieldNames

    static func columns(ofField index: Int) -> [String] { [fieldNames[index]] }

    init(format: ImportFormat) {}

    static func columnMap(for format: ImportFormat) -> ColumnMap? {
        switch format {
        case .csv, .jsonl:
            ColumnMap(format: format, names: [
                ("upn", 0), ("userPrincipalName", 0), ("display_name", 1), ("email", 2), ("mail", 2), ("department", 3),
            ], required: [0])
        default: nil
        }
    }

    func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError) {
        guard let upn = Self.value(values, 0) else { throw RowError(fieldIndex: 0, message: "upn is required") }
        statement.bind(1, bytes: upn)
        for field in 1..<4 { statement.bind(Int32(field + 1), bytesOrNull: Self.value(values, field)) }
    }
}

/// devices: the canonical columns of DESIGN.md, normalised per RULES.md.
struct DeviceSchema: InventorySchema {
    enum Field: Int, CaseIterable {
        case deviceID, deviceName, serialNumber, imei, platform, osVersion, management,
             primaryUserUPN, enrolledByUPN, passcodeSet, lastCheckIn, enrollment
    }

    static let kind = InventoryKind.devices
    static let fieldNames = ["device_id", "device_name", "serial_number", "imei", "platform", "os_version", "management",
                             "primary_user_upn", "enrolled_by_upn", "passcode_set", "last_check_in", "enrollment"]
    static let keyField = Field.deviceID.rawValue
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

    /// Column names of each device format (DESIGN.md, "Input files"); the mapping
    /// tables live here, next to the importer.
    static func columnMap(for format: ImportFormat) -> ColumnMap? {
        switch format {
        case .csv, .jsonl:
            ColumnMap(format: format, names: fieldNames.enumerated().map { ($0.element, $0.offset) },
                      required: [Field.deviceID.rawValue, Field.platform.rawValue])
        case .intuneCSV:
            ColumnMap(format: format, names: [
                ("Device ID", Field.deviceID.rawValue),
                ("Device name", Field.deviceName.rawValue),
                ("Serial number", Field.serialNumber.rawValue),
                ("IMEI", Field.imei.rawValue),
                ("OS", Field.platform.rawValue),
                ("OS version", Field.osVersion.rawValue),
                ("Managed by", Field.management.rawValue),
                ("Primary user UPN", Field.primaryUserUPN.rawValue),
                ("Enrolled by user UPN", Field.enrolledByUPN.rawValue),
                ("Last check-in", Field.lastCheckIn.rawValue),
            ], required: [Field.deviceID.rawValue, Field.platform.rawValue])
        case .graphJSON:
            ColumnMap(format: format, names: [
                ("id", Field.deviceID.rawValue),
                ("deviceName", Field.deviceName.rawValue),
                ("serialNumber", Field.serialNumber.rawValue),
                ("imei", Field.imei.rawValue),
                ("operatingSystem", Field.platform.rawValue),
                ("osVersion", Field.osVersion.rawValue),
                ("managementAgent", Field.management.rawValue),
                ("userPrincipalName", Field.primaryUserUPN.rawValue),
                ("enrolledByUserPrincipalName", Field.enrolledByUPN.rawValue),
                ("lastSyncDateTime", Field.lastCheckIn.rawValue),
                ("deviceEnrollmentType", Field.enrollment.rawValue),
            ], required: [Field.deviceID.rawValue, Field.platform.rawValue])
        case .auto: nil
        }
    }

    // Most fleets have a handful of distinct OS and management strings: remember them.
    private var families = ByteCache<PlatformNormaliser.Family?>()
    private var managements = ByteCache<Management>()
    /// Graph's values are read as the service gives them: an agent Intune does not act
    /// through is `other`, an enrollment type that names no Android enrollment is unknown.
    /// A file of ours must say exactly one of the canonical values.
    private let fromGraph: Bool

    init(format: ImportFormat) {
        fromGraph = format == .graphJSON
    }

    mutating func bind(_ values: [UnsafeRawBufferPointer?], to statement: RawStatement) throws(RowError) {
        func field(_ f: Field) -> UnsafeRawBufferPointer? { Self.value(values, f.rawValue) }

        guard let deviceID = field(.deviceID) else {
            throw RowError(fieldIndex: Field.deviceID.rawValue, message: "device_id is required")
        }
        guard let os = field(.platform) else {
            throw RowError(fieldIndex: Field.platform.rawValue, message: "platform is required")
        }
        let version = field(.osVersion)
        let family: PlatformNormaliser.Family?
        if let cached = families.lookup(os) {
            family = cached
        } else {
            family = PlatformNormaliser.families[looseKey(FieldText.string(os))]
            families.insert(os, family)
        }
        let resolution = PlatformNormaliser.resolve(family: family, version: version.flatMap { OSVersion(utf8: $0) })

        var management: Management? = nil
        let managementRaw = field(.management)
        if let raw = managementRaw {
            if let cached = managements.lookup(raw) {
                management = cached
            } else if let parsed = fromGraph ? Management(graphAgent: FieldText.string(raw)) : Management(name: FieldText.string(raw)) {
                managements.insert(raw, parsed)
                management = parsed
            } else {
                throw RowError(fieldIndex: Field.management.rawValue,
                               message: "expected one of mdm, eas, eas_mdm, software_client, other, got \"\(FieldText.string(raw))\"")
            }
        }
        var enrollment: Enrollment? = nil
        if let raw = field(.enrollment) {
            let text = FieldText.string(raw)
            if fromGraph {
                enrollment = Enrollment(graphEnrollmentType: text)
            } else {
                guard let parsed = Enrollment(canonical: text) else {
                    throw RowError(fieldIndex: Field.enrollment.rawValue, message: "expected one of "
                        + Enrollment.allCases.map(\.rawValue).joined(separator: ", ") + " or empty, got \"\(text)\"")
                }
                enrollment = parsed
            }
        }
        // Graph's AOSP agent, or AOSP as the operating system, says how the device is enrolled
        if enrollment == nil && (Self.isAOSP(os) || (fromGraph && managementRaw.map { looseKey(FieldText.string($0)) == "intuneaosp" } == true)) {
            enrollment = .aosp
        }
        var passcode: Int32? = nil
        if let raw = field(.passcodeSet) {
            do { passcode = try FieldText.passcodeFlag(raw) } catch {
                throw RowError(fieldIndex: Field.passcodeSet.rawValue, message: error.text)
            }
        }
        var checkIn: String? = nil
        let checkInRaw = field(.lastCheckIn)
        if let raw = checkInRaw, !ISOTimestamp.isNormalised(raw) {
            guard let normalised = ISOTimestamp.normalise(FieldText.string(raw)) else {
                throw RowError(fieldIndex: Field.lastCheckIn.rawValue,
                               message: "expected an ISO 8601 time (e.g. 2026-11-25T08:30:00Z), got \"\(FieldText.string(raw))\"")
            }
            checkIn = normalised
        }

        statement.bind(1, bytes: deviceID)
        statement.bind(2, bytesOrNull: field(.deviceName))
        statement.bind(3, bytesOrNull: field(.serialNumber))
        statement.bind(4, bytesOrNull: field(.imei))
        statement.bind(5, resolution.storedValue)
        statement.bind(6, bytes: os)
        statement.bind(7, bytesOrNull: version)
        statement.bind(8, management?.rawValue)
        if management == .other { statement.bind(9, bytesOrNull: managementRaw) } else { statement.bind(9, nil as String?) }
        statement.bind(10, bytesOrNull: field(.primaryUserUPN))
        statement.bind(11, bytesOrNull: field(.enrolledByUPN))
        statement.bind(12, passcode.map(Int64.init))
        if let checkIn { statement.bind(13, checkIn) } else { statement.bind(13, bytesOrNull: checkInRaw) }
        statement.bind(14, enrollment?.rawValue)
    }

    private static func isAOSP(_ os: UnsafeRawBufferPointer) -> Bool {
        os.count == 4 && looseKey(FieldText.string(os)) == "aosp"
    }
}

/// A few byte strings and what they stand for, compared byte for byte.
struct ByteCache<Value> {
    private var keys: [[UInt8]] = []
    private var values: [Value] = []
    private let capacity = 64

    func lookup(_ bytes: UnsafeRawBufferPointer) -> Value? {
        for (index, key) in keys.enumerated() where key.count == bytes.count {
            let equal = key.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
            if equal { return values[index] }
        }
        return nil
    }

    mutating func insert(_ bytes: UnsafeRawBufferPointer, _ value: Value) {
        guard keys.count < capacity else { return }
        keys.append(Array(bytes))
        values.append(value)
    }
}
