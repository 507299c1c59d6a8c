import Foundation
import MDMBatchShared

/// What to import, from where, and how strictly.
public struct ImportRequest: Sendable {
    public var kind: InventoryKind
    /// A path, or `-` for standard input.
    public var path: String
    public var format: ImportFormat
    /// Import the good rows and list the bad ones, instead of refusing the file.
    public var skipInvalid: Bool
    /// Who imports (recorded in `imports` and the audit trail).
    public var actor: String
    public var limits: InputLimits
    /// The name of the input in messages and records (default: the path as given).
    public var displayName: String?
    /// Fields the input does not give, although its format could: their stored values stay.
    public var absentFields: Set<String> = []
    /// Graph objects one a line (`import --from-graph`), not a Graph document.
    var graphLines = false
    /// The registered tenant whose inventory this is; nil: the operator's own (`default`).
    public var tenant: TenantName?

    public init(kind: InventoryKind, path: String, format: ImportFormat = .auto, skipInvalid: Bool = false, actor: String,
                limits: InputLimits = .standard) {
        self.kind = kind
        self.limits = limits
        self.path = path
        self.format = format
        self.skipInvalid = skipInvalid
        self.actor = actor
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var importID: Int64
    public var kind: InventoryKind
    public var file: String
    public var format: ImportFormat
    public var sha256: String
    public var rows: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var skipped: Int
    /// After a devices import: the Android devices of the database whose enrollment is
    /// unknown (intune-2025 refuses them, `enrollment_unknown`). Nil after a users import.
    public var androidWithoutEnrollment: Int?
    /// The registered tenant it loaded; nil: `default`.
    public var tenant: TenantName?
}

/// Imports a users or devices file into the store in one transaction: every row, or
/// (without `skipInvalid`) nothing at all when any row is bad.
public enum InventoryImporter {
    public static func run(
        _ request: ImportRequest,
        into database: AppDatabase,
        clock: any EngineClock = SystemClock(),
        onSkip: (SkippedRow) -> Void = { _ in }
    ) throws -> ImportSummary {
        switch request.kind {
        case .users:
            return try run(UserSchema.self, request, database, clock, onSkip)
        case .devices:
            var summary = try run(DeviceSchema.self, request, database, clock, onSkip)
            summary.androidWithoutEnrollment = try database.read { store in
                try store.androidDevicesWithoutEnrollment(tenant: try store.tenantNumber(request.tenant))
            }
            return summary
        }
    }

    private static func run<Schema: InventorySchema>(
        _ schema: Schema.Type, _ request: ImportRequest, _ database: AppDatabase,
        _ clock: any EngineClock, _ onSkip: (SkippedRow) -> Void
    ) throws -> ImportSummary {
        let (source, format) = try InventoryInput.open(request.path, displayName: request.displayName, kind: Schema.kind,
                                                       format: request.format)
        let started = clock.date()

        // the writer keeps the reporter of duplicates for as long as this import, no longer
        return try withoutActuallyEscaping(onSkip) { onSkip in try database.writeBulk { store in
            let load = try store.beginInventoryLoad(table: Schema.table, tenant: try store.reader.tenantNumber(request.tenant))
            var skipped = 0
            /// A bad row: the whole import is refused, or (`skipInvalid`) the row is listed and left out.
            let refuseOrSkip: (SkippedRow) throws -> Void = { row in
                guard request.skipInvalid else { throw ImportError.malformed(row.location, row.message) }
                skipped += 1
                onSkip(row)
            }
            var writer: UpsertWriter<Schema>?
            let makeWriter = { (format: ImportFormat, present: [Bool]) throws -> UpsertWriter<Schema> in
                let present = present.enumerated().map { $0.element && !request.absentFields.contains(Schema.fieldNames[$0.offset]) }
                let made = try load.upsertWriter(Schema.self, format: format, presentFields: present, reportDuplicate: refuseOrSkip)
                writer = made
                return made
            }
            // the rows before a bad one are written first, so that problems are met in file order
            let skip: (SkippedRow) throws -> Void = { row in
                try writer?.flush()
                try refuseOrSkip(row)
            }

            let resolvedFormat = try InventoryInput.read(source, format: format, graphLines: request.graphLines,
                                                         limits: request.limits, makeWriter: makeWriter, skip: skip)

            try writer?.flush()
            let rowsWritten = writer?.rowsWritten ?? 0
            let counts = try load.finish(rowsWritten: rowsWritten)
            let summary = ImportSummary(
                importID: load.importID, kind: Schema.kind, file: source.displayName, format: resolvedFormat,
                sha256: source.finishDigest(), rows: rowsWritten, inserted: counts.inserted,
                updated: counts.updated, unchanged: counts.unchanged, skipped: skipped, tenant: request.tenant)
            let finished = clock.date()
            try load.record(summary, actor: request.actor, startedAt: started, finishedAt: finished)
            try store.appendAudit(.imported(summary, actor: request.actor), at: finished, checkpoint: .required)
            return summary
        } }
    }
}
