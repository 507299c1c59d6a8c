/// A device of an inventory file, as the importer would store it.
public struct InventoryDevice: Sendable, Equatable {
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

    public init(deviceID: String, deviceName: String? = nil, serialNumber: String? = nil, imei: String? = nil, platform: String,
                osRaw: String, osVersion: String? = nil, management: Management? = nil, managementRaw: String? = nil,
                enrollment: Enrollment? = nil, primaryUserUPN: String? = nil, enrolledByUPN: String? = nil, passcodeSet: Bool? = nil,
                lastCheckIn: String? = nil) {
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.serialNumber = serialNumber
        self.imei = imei
        self.platform = platform
        self.osRaw = osRaw
        self.osVersion = osVersion
        self.management = management
        self.managementRaw = managementRaw
        self.enrollment = enrollment
        self.primaryUserUPN = primaryUserUPN
        self.enrolledByUPN = enrolledByUPN
        self.passcodeSet = passcodeSet
        self.lastCheckIn = lastCheckIn
    }
}

/// A user of an inventory file.
public struct InventoryUser: Sendable, Equatable {
    public var upn: String
    public var displayName: String?
    public var email: String?
    public var department: String?

    public init(upn: String, displayName: String? = nil, email: String? = nil, department: String? = nil) {
        self.upn = upn
        self.displayName = displayName
        self.email = email
        self.department = department
    }
}

/// An inventory file read whole into records, without a database: the same formats,
/// checks, normalisation and messages (`file:line:column: …`) as `import`, which refuses
/// the file at its first bad row. Devices come in `device_id` order, users in `upn` order
/// (regardless of case), as the store lists them.
public enum InventoryFile {
    public static func devices(at path: String, limits: InputLimits = .standard) throws -> [InventoryDevice] {
        try read(DeviceSchema.self, path, limits, foldKeyCase: false) {
            (schema: inout DeviceSchema, values: [UnsafeRawBufferPointer?]) throws(RowError) -> InventoryDevice in
            let row = try schema.normalise(values)
            return InventoryDevice(
                deviceID: text(row.deviceID), deviceName: row.deviceName.map(text), serialNumber: row.serialNumber.map(text),
                imei: row.imei.map(text), platform: row.platform.storedValue, osRaw: text(row.os),
                osVersion: row.osVersion.map(text), management: row.management, managementRaw: row.managementRaw.map(text),
                enrollment: row.enrollment, primaryUserUPN: row.primaryUserUPN.map(text),
                enrolledByUPN: row.enrolledByUPN.map(text), passcodeSet: row.passcodeSet.map { $0 == 1 },
                lastCheckIn: row.lastCheckIn ?? row.lastCheckInRaw.map(text))
        }
    }

    public static func users(at path: String, limits: InputLimits = .standard) throws -> [InventoryUser] {
        // upn is unique regardless of case, as SQLite's NOCASE has it (ASCII letters only)
        try read(UserSchema.self, path, limits, foldKeyCase: true) {
            (schema: inout UserSchema, values: [UnsafeRawBufferPointer?]) throws(RowError) -> InventoryUser in
            let row = try schema.normalise(values)
            return InventoryUser(upn: text(row.upn), displayName: row.displayName.map(text), email: row.email.map(text),
                                 department: row.department.map(text))
        }
    }

    private static func text(_ bytes: UnsafeRawBufferPointer) -> String { FieldText.string(bytes) }

    private static func read<Schema: InventoryFields, Record>(
        _ schema: Schema.Type, _ path: String, _ limits: InputLimits, foldKeyCase: Bool,
        record: @escaping (inout Schema, [UnsafeRawBufferPointer?]) throws(RowError) -> Record
    ) throws -> [Record] {
        let (source, format) = try InventoryInput.open(path, kind: Schema.kind, format: .auto)
        var collector: RecordCollector<Schema, Record>?
        _ = try InventoryInput.read(source, format: format, limits: limits, makeWriter: { format, _ in
            let made = RecordCollector<Schema, Record>(format: format, foldKeyCase: foldKeyCase, record: record)
            collector = made
            return made
        }, skip: { row in throw ImportError.malformed(row.location, row.message) })
        return collector?.sorted ?? []
    }
}

/// The records of an inventory's rows, each key once: a key met again is refused as the
/// importer refuses it.
private final class RecordCollector<Schema: InventoryFields, Record>: InventoryRowWriter {
    private var schema: Schema
    private let foldKeyCase: Bool
    private let record: (inout Schema, [UnsafeRawBufferPointer?]) throws(RowError) -> Record
    /// key → the line it was first met on
    private var firstLines: [[UInt8]: Int] = [:]
    private var records: [(key: [UInt8], record: Record)] = []

    init(format: ImportFormat, foldKeyCase: Bool,
         record: @escaping (inout Schema, [UnsafeRawBufferPointer?]) throws(RowError) -> Record) {
        schema = Schema(format: format)
        self.foldKeyCase = foldKeyCase
        self.record = record
    }

    func write(_ values: [UnsafeRawBufferPointer?], line: Int, keyLocation: SourceLocation) throws -> RowError? {
        let made: Record
        do { made = try record(&schema, values) } catch { return error }
        // a row that normalised has its key
        var key = Array(Schema.value(values, Schema.keyField)!)
        if foldKeyCase { key = key.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 } }
        if let first = firstLines[key] {
            let given = values[Schema.keyField].map(FieldText.string) ?? ""
            throw ImportError.malformed(keyLocation,
                                        "duplicate \(Schema.fieldNames[Schema.keyField]) \"\(given)\" (first at line \(first))")
        }
        firstLines[key] = line
        records.append((key, made))
        return nil
    }

    /// In key order, byte by byte (the store's order).
    var sorted: [Record] {
        records.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.record)
    }
}
