import Foundation

/// What reading one inventory needs to know: its fields, the names each format gives
/// them, and how the values of a row are checked and normalised (RULES.md). The importer
/// binds the normalised row into its upsert; `InventoryFile` makes plain records of it.
package protocol InventoryFields {
    static var kind: InventoryKind { get }
    /// Canonical field names, in field-index order.
    static var fieldNames: [String] { get }
    /// Index of the key field (unique in a file).
    static var keyField: Int { get }
    static func columnMap(for format: ImportFormat) -> ColumnMap?

    /// A schema reading rows of `format`.
    init(format: ImportFormat)
}

extension InventoryFields {
    /// The value of field `index`, trimmed; nil when absent or empty.
    @inline(__always)
    package static func value(_ values: [UnsafeRawBufferPointer?], _ index: Int) -> UnsafeRawBufferPointer? {
        guard let raw = values[index] else { return nil }
        let trimmed = FieldText.trimmed(raw)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// Where the rows of an inventory input go, one at a time: the importer's upsert, or the
/// records of `InventoryFile`.
package protocol InventoryRowWriter: AnyObject {
    associatedtype Schema: InventoryFields
    /// Adds one row; `values` are indexed by the schema's fields and stay valid only
    /// during the call. A bad value is returned (the row is not taken). `keyLocation`:
    /// where the row's key is, for a duplicate's report.
    func write(_ values: [UnsafeRawBufferPointer?], line: Int, keyLocation: SourceLocation) throws -> RowError?
}

/// users: `upn` (required, unique regardless of case), `display_name`, `email`, `department`.
package struct UserSchema: InventoryFields {
    package static let kind = InventoryKind.users
    package static let fieldNames = ["upn", "display_name", "email", "department"]
    package static let keyField = 0

    package init(format: ImportFormat) {}

    package static func columnMap(for format: ImportFormat) -> ColumnMap? {
        switch format {
        case .csv, .jsonl:
            ColumnMap(format: format, names: [
                ("upn", 0), ("userPrincipalName", 0), ("display_name", 1), ("email", 2), ("mail", 2), ("department", 3),
            ], required: [0])
        default: nil
        }
    }

    /// The row's values, checked (trimmed; nil when absent or empty).
    package func normalise(_ values: [UnsafeRawBufferPointer?]) throws(RowError) -> UserRow {
        guard let upn = Self.value(values, 0) else { throw RowError(fieldIndex: 0, message: "upn is required") }
        return UserRow(upn: upn, displayName: Self.value(values, 1), email: Self.value(values, 2), department: Self.value(values, 3))
    }
}

/// A user row as normalised: the bytes of its fields, valid as long as the values it was made of.
package struct UserRow {
    package var upn: UnsafeRawBufferPointer
    package var displayName: UnsafeRawBufferPointer?
    package var email: UnsafeRawBufferPointer?
    package var department: UnsafeRawBufferPointer?
}

/// A device row as normalised: the bytes of the row's fields (trimmed; nil when absent
/// or empty), valid as long as the values it was made of, and what they were read as.
package struct DeviceRow {
    package var deviceID: UnsafeRawBufferPointer
    package var deviceName: UnsafeRawBufferPointer?
    package var serialNumber: UnsafeRawBufferPointer?
    package var imei: UnsafeRawBufferPointer?
    /// The platform under intune-2017 (stored as `devices.platform`).
    package var platform: PlatformResolution
    /// The platform / OS string exactly as imported.
    package var os: UnsafeRawBufferPointer
    package var osVersion: UnsafeRawBufferPointer?
    package var management: Management?
    /// The management value as imported, kept only when it maps to `other`.
    package var managementRaw: UnsafeRawBufferPointer?
    package var primaryUserUPN: UnsafeRawBufferPointer?
    package var enrolledByUPN: UnsafeRawBufferPointer?
    /// 1, 0, or nil (unknown).
    package var passcodeSet: Int32?
    /// The last check-in when it had to be normalised; otherwise `lastCheckInRaw` is it.
    package var lastCheckIn: String?
    package var lastCheckInRaw: UnsafeRawBufferPointer?
    package var enrollment: Enrollment?
}

/// devices: the canonical columns of DESIGN.md, normalised per RULES.md.
package struct DeviceSchema: InventoryFields {
    package enum Field: Int, CaseIterable {
        case deviceID, deviceName, serialNumber, imei, platform, osVersion, management,
             primaryUserUPN, enrolledByUPN, passcodeSet, lastCheckIn, enrollment
    }

    package static let kind = InventoryKind.devices
    package static let fieldNames = ["device_id", "device_name", "serial_number", "imei", "platform", "os_version", "management",
                                     "primary_user_upn", "enrolled_by_upn", "passcode_set", "last_check_in", "enrollment"]
    package static let keyField = Field.deviceID.rawValue

    /// Column names of each device format (DESIGN.md, "Input files"); the mapping
    /// tables live here, next to the readers.
    package static func columnMap(for format: ImportFormat) -> ColumnMap? {
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

    package init(format: ImportFormat) {
        fromGraph = format == .graphJSON
    }

    /// The row's values, checked and normalised; the first bad value is thrown.
    package mutating func normalise(_ values: [UnsafeRawBufferPointer?]) throws(RowError) -> DeviceRow {
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
        return DeviceRow(deviceID: deviceID, deviceName: field(.deviceName), serialNumber: field(.serialNumber),
                         imei: field(.imei), platform: resolution, os: os, osVersion: version, management: management,
                         managementRaw: management == .other ? managementRaw : nil, primaryUserUPN: field(.primaryUserUPN),
                         enrolledByUPN: field(.enrolledByUPN), passcodeSet: passcode, lastCheckIn: checkIn,
                         lastCheckInRaw: checkInRaw, enrollment: enrollment)
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
