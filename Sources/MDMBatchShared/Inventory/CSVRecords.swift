/// Feeds the rows of a CSV inventory file to a writer, turning every problem into a
/// `file:line:column` message (or a skipped row).
package enum CSVRecords {
    /// Reads the whole file; returns the format its header matched. `auto` tries
    /// canonical CSV, then the Intune export.
    package static func read<Writer: InventoryRowWriter>(
        _ source: ByteSource, preferred: ImportFormat, limits: InputLimits,
        makeWriter: (ImportFormat, [Bool]) throws -> Writer, skip: (SkippedRow) throws -> Void
    ) throws -> ImportFormat {
        typealias Schema = Writer.Schema
        let formats: [ImportFormat] = preferred == .auto ? (Schema.kind == .devices ? [.csv, .intuneCSV] : [.csv]) : [preferred]
        let table: CSVTable
        do {
            table = try CSVTable(source: source, maps: formats.compactMap(Schema.columnMap(for:)), fieldCount: Schema.fieldNames.count,
                                 limits: limits, emptyMessage: "empty file: expected a header line naming the columns")
        } catch let problem as InputProblem {
            throw ImportError.malformed(problem.location, problem.message)
        }
        let writer = try makeWriter(table.map.format!, table.columnOfField.map { $0 != nil })
        var values = [UnsafeRawBufferPointer?](repeating: nil, count: Schema.fieldNames.count)
        while true {
            do {
                guard try table.next() else { break }
            } catch let problem as InputProblem {
                try skip(SkippedRow(location: problem.location, message: problem.message))
                continue
            }
            for field in 0..<values.count { values[field] = table.field(field) }
            if let error = try writer.write(values, line: table.line, keyLocation: table.location(ofField: Schema.keyField)) {
                try skip(SkippedRow(location: table.location(ofField: error.fieldIndex), message: error.message))
            }
        }
        return table.map.format!
    }
}
