import Foundation

/// How large an input may be, field by field: a 100 MB field is refused, not loaded.
public struct InputLimits: Sendable, Equatable {
    /// The longest field, in bytes (DESIGN.md: 65 536 by default).
    public var maxFieldBytes: Int
    /// The largest record: a JSONL line, a JSON object (4 MiB by default; a Graph device is
    /// about a kilobyte). A longer line is refused as soon as it is seen, never held whole.
    public var maxRecordBytes: Int

    public init(maxFieldBytes: Int = 65_536, maxRecordBytes: Int = 4 << 20) {
        self.maxFieldBytes = maxFieldBytes
        self.maxRecordBytes = maxRecordBytes
    }

    public static let standard = InputLimits()
}
