import Foundation

/// A CSV file read as a table: its header matched to the fields of one of `maps` (the
/// first that fits), then row after row of the header's width, each field checked (UTF-8,
/// no NUL byte, at most `maxFieldBytes`). Inventories and batches read their CSV with it.
package final class CSVTable {
    private let reader: CSVReader
    package let file: String
    package let map: ColumnMap
    package let headers: [String]
    /// field index → column, nil when the file has no column for the field
    package let columnOfField: [Int?]

    package init(source: ByteSource, maps: [ColumnMap], fieldCount: Int, limits: InputLimits, emptyMessage: String) throws {
        let reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
        let file = source.displayName
        let hasHeader: Bool
        do {
            hasHeader = try reader.nextRecord()
        } catch let error as CSVError {
            throw InputProblem(location: SourceLocation(file: file, line: error.line, column: error.column), message: error.message)
        }
        guard hasHeader else { throw InputProblem(location: SourceLocation(file: file, line: 1, column: 1), message: emptyMessage) }
        let headers = (0..<reader.fieldCount).map { reader.string($0) }
        (map, columnOfField) = try Self.match(headers, maps: maps, fieldCount: fieldCount,
                                              at: SourceLocation(file: file, line: reader.recordLine, column: 1))
        self.reader = reader
        self.file = file
        self.headers = headers
    }

    /// Matches header names to fields. A repeated column is an error; unknown columns are ignored.
    package static func match(_ headers: [String], maps: [ColumnMap], fieldCount: Int, at place: SourceLocation) throws -> (ColumnMap, [Int?]) {
        var firstFailure: InputProblem?
        for map in maps {
            var columnOfField = [Int?](repeating: nil, count: fieldCount)
            var failure: InputProblem?
            for (column, header) in headers.enumerated() {
                guard let field = map.columns[looseKey(header)] else { continue }
                if let earlier = columnOfField[field] {
                    failure = InputProblem(location: SourceLocation(file: place.file, line: place.line, column: column + 1),
                                           message: "column \"\(header)\" repeats column \(earlier + 1) (\"\(headers[earlier])\")")
                    break
                }
                columnOfField[field] = column
            }
            if failure == nil {
                let missing = zip(map.required, map.requiredNames).filter { columnOfField[$0.0] == nil }.map(\.1)
                if missing.isEmpty { return (map, columnOfField) }
                failure = InputProblem(
                    location: place,
                    message: "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) "
                        + "(\(map.format.map { "\($0.rawValue) header" } ?? "a header naming them") expected; "
                        + "found: \(headers.joined(separator: ", ")))")
            }
            if firstFailure == nil { firstFailure = failure }
        }
        throw firstFailure!
    }

    /// The line on which the current row starts.
    package var line: Int { reader.recordLine }

    /// Advances to the next row; false at the end. A structural problem with the row is
    /// thrown, and the reader has moved past it (a caller that skips bad rows goes on).
    package func next() throws -> Bool {
        do {
            guard try reader.nextRecord() else { return false }
        } catch let error as CSVError {
            throw InputProblem(location: SourceLocation(file: file, line: error.line, column: error.column), message: error.message)
        }
        guard reader.fieldCount == headers.count else {
            throw InputProblem(location: SourceLocation(file: file, line: line, column: min(reader.fieldCount, headers.count) + 1),
                               message: "expected \(headers.count) fields as in the header, found \(reader.fieldCount)")
        }
        return true
    }

    /// The bytes of field `field` of the current row; nil when the file has no such column.
    @inline(__always)
    package func field(_ field: Int) -> UnsafeRawBufferPointer? {
        columnOfField[field].map { reader.field($0) }
    }

    /// Where field `field` of the current row is (its column; the row when it has none).
    package func location(ofField field: Int?) -> SourceLocation {
        guard let column = field.flatMap({ columnOfField[$0] }) else { return SourceLocation(file: file, line: line, column: 1) }
        return SourceLocation(file: file, line: reader.line(ofField: column), column: column + 1)
    }
}
