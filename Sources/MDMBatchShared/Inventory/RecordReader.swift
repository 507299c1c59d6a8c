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

/// What is wrong with an input at a place; the reader of each kind of file turns it into
/// its own error (`ImportError`, `BatchError`).
package struct InputProblem: Error, Equatable {
    package var location: SourceLocation
    package var message: String

    package init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }
}

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

/// The lines of a JSONL input, each with its number; blank lines are skipped.
package enum JSONLines {
    /// Hands each line that is not blank to `body`, read a chunk at a time: a line longer
    /// than `maxLineBytes` is refused (`InputProblem`) once that many bytes of it were read.
    package static func forEach(_ source: ByteSource, maxLineBytes: Int,
                        _ body: (_ line: Int, _ text: ArraySlice<UInt8>) throws -> Void) throws {
        var line = 0
        func tooLong() -> InputProblem {
            InputProblem(location: SourceLocation(file: source.displayName, line: line + 1, column: 1),
                         message: "a line longer than \(maxLineBytes) bytes (--max-record-bytes)")
        }
        func emit(_ raw: ArraySlice<UInt8>) throws {
            var text = raw
            if line == 0 && text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
            if text.last == 0x0D { text = text.dropLast() }
            guard text.count <= maxLineBytes else { throw tooLong() }
            line += 1
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            try body(line, text)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        while true {
            let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            var start = 0
            while let newline = chunk[start..<count].firstIndex(of: 0x0A) {
                if pending.isEmpty {
                    try emit(chunk[start..<newline])
                } else {
                    pending.append(contentsOf: chunk[start..<newline])
                    try emit(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            pending.append(contentsOf: chunk[start..<count])
            // a BOM and a CR besides the line itself
            if pending.count > maxLineBytes + 4 { throw tooLong() }
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }
}

/// The fields of one JSON object: its members matched to fields (loosely, as CSV headers
/// are), each a scalar, without a NUL character, at most `maxFieldBytes` long.
package enum JSONFields {
    /// The texts by field index, and the member name each came from.
    package static func values(of object: [String: JSONValue], map: ColumnMap, fieldCount: Int,
                       limits: InputLimits) throws(RowError) -> (texts: [String?], keys: [String?]) {
        var texts = [String?](repeating: nil, count: fieldCount)
        var keys = [String?](repeating: nil, count: fieldCount)
        for (key, value) in object {
            guard let field = map.columns[looseKey(key)] else { continue }
            if let earlier = keys[field] {
                throw RowError(fieldIndex: field, message: "\"\(key)\" repeats \"\(earlier)\"")
            }
            switch value {
            case .array, .object:
                throw RowError(fieldIndex: field, message: "\"\(key)\": expected a string, found a nested value")
            default:
                let text = value.scalarText
                if let text {
                    if text.utf8.count > limits.maxFieldBytes {
                        throw RowError(fieldIndex: field, message: "\"\(key)\": longer than \(limits.maxFieldBytes) bytes")
                    }
                    if text.utf8.contains(0) { throw RowError(fieldIndex: field, message: "\"\(key)\": a NUL character") }
                }
                texts[field] = text
                keys[field] = key
            }
        }
        return (texts, keys)
    }

    /// A JSON object, or a message saying why the bytes are not one.
    package static func object(_ bytes: some Collection<UInt8>) -> Result<[String: JSONValue], RowError> {
        // the decoder's own message would be "Expected to decode Dictionary<String, Any>"
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(RowError(fieldIndex: nil, message: "invalid UTF-8"))
        }
        do {
            return .success(try JSONDecoder().decode([String: JSONValue].self, from: Data(bytes)))
        } catch {
            return .failure(RowError(fieldIndex: nil, message: "expected a JSON object: \(describe(error))"))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        if case DecodingError.typeMismatch(_, let context) = error { return context.debugDescription }
        return "\(error)"
    }
}
