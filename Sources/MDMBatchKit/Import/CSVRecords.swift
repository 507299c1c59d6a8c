/// Feeds the rows of a CSV inventory file to a writer: header matching, field counts,
/// and turning every problem into a `file:line:column` message.
enum CSVRecords {
    /// Reads the whole file; returns the format its header matched.
    static func read<Schema: InventorySchema>(
        _ source: ByteSource, preferred: ImportFormat, makeWriter: (ImportFormat, [Bool]) throws -> UpsertWriter<Schema>,
        skip: (SkippedRow) throws -> Void
    ) throws -> ImportFormat {
        let reader = CSVReader(source: source)
        let file = source.displayName
        func location(_ line: Int, _ column: Int) -> SourceLocation {
            SourceLocation(file: file, line: line, column: column)
        }

        let hasHeader: Bool
        do {
            hasHeader = try reader.nextRecord()
        } catch let error as CSVError {
            throw ImportError.malformed(location(error.line, error.column), error.message)
        }
        guard hasHeader else {
            throw ImportError.malformed(location(1, 1), "empty file: expected a header line naming the columns")
        }
        let headers = (0..<reader.fieldCount).map { reader.string($0) }
        let (map, columnOfField) = try matchHeader(headers, preferred: preferred, kind: Schema.kind,
                                                   line: reader.recordLine, file: file)
        let width = headers.count
        let writer = try makeWriter(map.format, columnOfField.map { $0 != nil })
        var values = [UnsafeRawBufferPointer?](repeating: nil, count: Schema.fieldNames.count)

        while true {
            do {
                guard try reader.nextRecord() else { break }
            } catch let error as CSVError {
                try skip(SkippedRow(location: location(error.line, error.column), message: error.message))
                continue
            }
            let line = reader.recordLine
            guard reader.fieldCount == width else {
                try skip(SkippedRow(
                    location: location(line, min(reader.fieldCount, width) + 1),
                    message: "expected \(width) fields as in the header, found \(reader.fieldCount)"))
                continue
            }
            for field in 0..<values.count {
                if let column = columnOfField[field] { values[field] = reader.field(column) } else { values[field] = nil }
            }
            switch try writer.write(values, line: line) {
            case nil:
                break
            case .invalid(let error)?:
                let column = error.fieldIndex.flatMap { columnOfField[$0] }
                let at = column.map { location(reader.line(ofField: $0), $0 + 1) } ?? location(line, 1)
                try skip(SkippedRow(location: at, message: error.message))
            case .duplicate(let firstLine)?:
                let column = columnOfField[Schema.keyField]!
                try skip(SkippedRow(
                    location: location(line, column + 1),
                    message: "duplicate \(Schema.fieldNames[Schema.keyField]) \"\(reader.string(column))\" (first at line \(firstLine))"))
            }
        }
        return map.format
    }

    /// Matches header names to fields. `auto` tries canonical CSV, then the Intune export.
    static func matchHeader(
        _ headers: [String], preferred: ImportFormat, kind: InventoryKind, line: Int, file: String
    ) throws -> (ColumnMap, [Int?]) {
        let candidates: [ImportFormat] = preferred == .auto ? (kind == .devices ? [.csv, .intuneCSV] : [.csv]) : [preferred]
        let schemaMap: (ImportFormat) -> ColumnMap? = {
            kind == .devices ? DeviceSchema.columnMap(for: $0) : UserSchema.columnMap(for: $0)
        }
        let fieldCount = kind == .devices ? DeviceSchema.fieldNames.count : UserSchema.fieldNames.count
        var firstFailure: ImportError?
        for format in candidates {
            guard let map = schemaMap(format) else { continue }
            var columnOfField = [Int?](repeating: nil, count: fieldCount)
            var failure: ImportError?
            for (column, header) in headers.enumerated() {
                guard let field = map.columns[looseKey(header)] else { continue }  // unknown columns are ignored
                if let earlier = columnOfField[field] {
                    failure = .malformed(SourceLocation(file: file, line: line, column: column + 1),
                                         "column \"\(header)\" repeats column \(earlier + 1) (\"\(headers[earlier])\")")
                    break
                }
                columnOfField[field] = column
            }
            if failure == nil {
                let missing = zip(map.required, map.requiredNames).filter { columnOfField[$0.0] == nil }.map(\.1)
                if missing.isEmpty { return (map, columnOfField) }
                failure = .malformed(
                    SourceLocation(file: file, line: line, column: 1),
                    "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) "
                        + "(\(format.rawValue) header expected; found: \(headers.joined(separator: ", ")))")
            }
            if firstFailure == nil { firstFailure = failure }
        }
        throw firstFailure!
    }
}
