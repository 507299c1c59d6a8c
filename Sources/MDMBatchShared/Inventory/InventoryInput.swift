/// An inventory input, in any format `import` reads: opened, its format told, and its rows
/// handed to a writer. The importer's writer upserts them into SQLite; `InventoryFile`'s
/// keeps them as records.
package enum InventoryInput {
    /// Opens `path` (`-`: standard input) as an inventory of `kind` given as `format`;
    /// `auto` is told from the first bytes. A format the kind does not accept is refused.
    package static func open(_ path: String, displayName: String? = nil, kind: InventoryKind,
                             format: ImportFormat) throws -> (source: ByteSource, format: ImportFormat) {
        guard ImportFormat.accepted(for: kind).contains(format) else {
            throw ImportError.unsupportedFormat(
                "\(kind.rawValue) cannot be imported as \(format.rawValue); use one of "
                    + ImportFormat.accepted(for: kind).map(\.rawValue).joined(separator: ", "))
        }
        let source = try ByteSource(path: path, displayName: displayName)
        var format = format
        if format == .auto {
            format = ImportFormat.sniff(try source.peek(4096))
            if format == .graphJSON && kind == .users { format = .jsonl }
        }
        return (source, format)
    }

    /// Reads every row of `source` as `format` (`graphLines`: Graph objects one a line, not a
    /// Graph document) into the writer `makeWriter` makes; a bad row goes to `skip`. Returns
    /// the format read: a CSV header tells canonical CSV from the Intune export.
    package static func read<Writer: InventoryRowWriter>(
        _ source: ByteSource, format: ImportFormat, graphLines: Bool = false, limits: InputLimits,
        makeWriter: (ImportFormat, [Bool]) throws -> Writer, skip: (SkippedRow) throws -> Void
    ) throws -> ImportFormat {
        switch format {
        case .csv, .intuneCSV, .auto:
            return try CSVRecords.read(source, preferred: format, limits: limits, makeWriter: makeWriter, skip: skip)
        case .graphJSON where graphLines:
            try JSONRecords.readLines(source, format: .graphJSON, limits: limits, makeWriter: makeWriter, skip: skip)
        case .graphJSON:
            try JSONRecords.readDocument(source, limits: limits, makeWriter: makeWriter, skip: skip)
        case .jsonl:
            try JSONRecords.readLines(source, format: .jsonl, limits: limits, makeWriter: makeWriter, skip: skip)
        }
        return format
    }
}
