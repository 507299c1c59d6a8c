/// Which inventory a file fills.
public enum InventoryKind: String, Sendable, CaseIterable, Codable {
    case users, devices
}

/// The input formats of `import`.
public enum ImportFormat: String, Sendable, CaseIterable, Codable {
    case auto
    /// Canonical CSV (DESIGN.md, "Input files").
    case csv
    /// The device export CSV of the Intune admin center.
    case intuneCSV = "intune-csv"
    /// A Microsoft Graph `managedDevice` JSON array, or `{"value": [...]}`.
    case graphJSON = "graph-json"
    /// One JSON object per line, with the canonical field names.
    case jsonl

    /// The formats each inventory accepts.
    public static func accepted(for kind: InventoryKind) -> [ImportFormat] {
        switch kind {
        case .users: [.auto, .csv, .jsonl]
        case .devices: allCases
        }
    }

    /// Picks a format from the first bytes of the input: `[` or `{"value"`/`{"@odata…"`
    /// is a Graph document, another `{` is JSONL; anything else is CSV, returned as
    /// `auto` because the header tells canonical CSV from the Intune export.
    package static func sniff(_ head: [UInt8]) -> ImportFormat {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        bytes = bytes.drop(while: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
        guard let first = bytes.first else { return .auto }
        if first == UInt8(ascii: "[") { return .graphJSON }
        if first == UInt8(ascii: "{") {
            let rest = bytes.dropFirst().drop(while: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
            if rest.starts(with: Array("\"value\"".utf8)) || rest.starts(with: Array("\"@odata".utf8)) { return .graphJSON }
            return .jsonl
        }
        return .auto
    }
}

/// The names a format gives the fields of an inventory or a batch, matched loosely (`looseKey`).
package struct ColumnMap: Sendable {
    /// nil for a batch.
    package let format: ImportFormat?
    /// loose column name → field index
    package let columns: [String: Int]
    /// field indexes that must have a column
    package let required: [Int]
    /// the format's own name for each required field, for messages
    package let requiredNames: [String]

    package init(format: ImportFormat?, names: [(String, Int)], required: [Int]) {
        self.format = format
        var columns: [String: Int] = [:]
        for (name, field) in names { columns[looseKey(name)] = field }
        self.columns = columns
        self.required = required
        requiredNames = required.map { field in names.first { $0.1 == field }!.0 }
    }
}
