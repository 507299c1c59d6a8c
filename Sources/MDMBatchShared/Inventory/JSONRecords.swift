import Foundation

/// Feeds the objects of a JSON inventory to a writer: a Graph `managedDevice` array
/// (`[...]` or `{"value": [...]}`), or JSONL (one object per line). Each object is
/// located by the line and column where it starts.
package enum JSONRecords {
    package static func readDocument<Writer: InventoryRowWriter>(
        _ source: ByteSource, limits: InputLimits, makeWriter: (ImportFormat, [Bool]) throws -> Writer,
        skip: (SkippedRow) throws -> Void
    ) throws {
        typealias Schema = Writer.Schema
        let bytes = try source.readAll()
        let map = Schema.columnMap(for: .graphJSON) ?? Schema.columnMap(for: .jsonl)!
        let writer = try makeWriter(map.format!, presentFields(of: map, count: Schema.fieldNames.count))
        var scanner = JSONScanner(bytes: bytes, file: source.displayName)
        try scanner.skipByteOrderMark()
        try scanner.enterRecordArray()
        while let element = try scanner.nextArrayElement() {
            try write(element.bytes, at: element.location, map: map, limits: limits, writer: writer, skip: skip)
        }
        try scanner.expectEnd()
    }

    /// One object a line, named as `format` names the fields (JSONL: canonical names;
    /// Graph: Graph's).
    package static func readLines<Writer: InventoryRowWriter>(
        _ source: ByteSource, format: ImportFormat, limits: InputLimits,
        makeWriter: (ImportFormat, [Bool]) throws -> Writer, skip: (SkippedRow) throws -> Void
    ) throws {
        typealias Schema = Writer.Schema
        let map = Schema.columnMap(for: format) ?? Schema.columnMap(for: .jsonl)!
        let writer = try makeWriter(map.format!, presentFields(of: map, count: Schema.fieldNames.count))
        do {
            try JSONLines.forEach(source, maxLineBytes: limits.maxRecordBytes) { line, text in
                try write(text, at: SourceLocation(file: source.displayName, line: line, column: 1), map: map, limits: limits,
                          writer: writer, skip: skip)
            }
        } catch let problem as InputProblem {
            throw ImportError.malformed(problem.location, problem.message)
        }
    }

    /// The fields a JSON format can give: a member missing from every object of a format
    /// (Graph has no passcode state) leaves the stored value alone.
    private static func presentFields(of map: ColumnMap, count: Int) -> [Bool] {
        (0..<count).map { field in map.columns.values.contains(field) }
    }

    private static func write<Writer: InventoryRowWriter>(
        _ object: some Collection<UInt8>, at location: SourceLocation, map: ColumnMap, limits: InputLimits,
        writer: Writer, skip: (SkippedRow) throws -> Void
    ) throws {
        typealias Schema = Writer.Schema
        guard object.count <= limits.maxRecordBytes else {
            try skip(SkippedRow(location: location, message: "an object larger than \(limits.maxRecordBytes) bytes (--max-record-bytes)"))
            return
        }
        let fields: (texts: [String?], keys: [String?])
        switch JSONFields.object(object).flatMap({ members in
            Result { () throws(RowError) in
                try JSONFields.values(of: members, map: map, fieldCount: Schema.fieldNames.count, limits: limits)
            }
        }) {
        case .success(let found): fields = found
        case .failure(let error):
            try skip(SkippedRow(location: location, message: error.message))
            return
        }
        let (texts, keyOfField) = fields
        let failure = try withFieldBytes(texts) { values in
            try writer.write(values, line: location.line, keyLocation: location)
        }
        if let error = failure {
            let key = error.fieldIndex.flatMap { keyOfField[$0] ?? map.requiredNames.first }
            try skip(SkippedRow(location: location, message: key.map { "\"\($0)\": " + error.message } ?? error.message))
        }
    }

    /// Lays the texts out in one buffer and hands out their bytes.
    private static func withFieldBytes<T>(_ texts: [String?], _ body: ([UnsafeRawBufferPointer?]) throws -> T) throws -> T {
        var storage: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for text in texts {
            guard let text else { ranges.append(nil); continue }
            let start = storage.count
            storage.append(contentsOf: text.utf8)
            ranges.append(start..<storage.count)
        }
        return try storage.withUnsafeBytes { all in
            try body(ranges.map { $0.map { UnsafeRawBufferPointer(rebasing: all[$0]) } })
        }
    }
}

/// Just enough of a JSON scanner to find the elements of the record array and where
/// each one starts; the elements themselves are decoded by `JSONDecoder`.
package struct JSONScanner {
    package let bytes: [UInt8]
    package let file: String
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var closing: UInt8 = 0       // what ends the document after the array
    private var firstElement = true

    package init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    package var location: SourceLocation { SourceLocation(file: file, line: line, column: i - lineStart + 1) }

    private func fail(_ message: String) -> ImportError { .malformed(location, message) }

    package mutating func skipByteOrderMark() throws {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3; lineStart = 3 }
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x0A: i += 1; line += 1; lineStart = i
            case 0x20, 0x09, 0x0D: i += 1
            default: return
            }
        }
    }

    /// Positions the scanner inside the array of records: the document itself, or its `value`.
    package mutating func enterRecordArray() throws {
        skipWhitespace()
        guard i < bytes.count else { throw fail("empty file: expected a JSON array of devices, or {\"value\": [...]}") }
        if bytes[i] == UInt8(ascii: "[") { i += 1; return }
        guard bytes[i] == UInt8(ascii: "{") else { throw fail("expected a JSON array of devices, or {\"value\": [...]}") }
        i += 1
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a member name, or a \"value\" array") }
            let keyStart = i
            try skipString()
            let key = try? JSONDecoder().decode(String.self, from: Data(bytes[keyStart..<i]))
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
            i += 1
            skipWhitespace()
            if key == "value" {
                guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { throw fail("expected \"value\" to be an array of devices") }
                i += 1
                closing = UInt8(ascii: "}")
                return
            }
            try skipValue()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { throw fail("expected a \"value\" array of devices") }
            i += 1
        }
    }

    /// The next element of the array (its bytes and where it starts), or nil after `]`.
    package mutating func nextArrayElement() throws -> (bytes: [UInt8], location: SourceLocation)? {
        skipWhitespace()
        guard i < bytes.count else { throw fail("unexpected end of file inside the array (missing ']')") }
        if bytes[i] == UInt8(ascii: "]") { i += 1; return nil }
        if !firstElement {
            guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected ',' or ']' between array elements") }
            i += 1
            skipWhitespace()
        }
        firstElement = false
        let start = i
        let at = location
        try skipValue()
        return (Array(bytes[start..<i]), at)
    }

    /// After the array: nothing but the rest of the enclosing object, or white space.
    package mutating func expectEnd() throws {
        if closing != 0 {
            // the rest of the members of {"value": [...], ...}
            while true {
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of file (missing '}')") }
                if bytes[i] == closing { i += 1; break }
                guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                i += 1
                skipWhitespace()
                try skipString()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
                i += 1
                skipWhitespace()
                try skipValue()
            }
        }
        skipWhitespace()
        guard i == bytes.count else { throw fail("unexpected text after the end of the JSON document") }
    }

    private mutating func skipString() throws {
        let opening = location
        i += 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): i += 1; return
            case 0x0A: throw ImportError.malformed(opening, "unterminated string")
            default: i += 1
            }
        }
        throw ImportError.malformed(opening, "unterminated string")
    }

    /// Skips one value, checking only that brackets and strings balance.
    private mutating func skipValue() throws {
        guard i < bytes.count else { throw fail("expected a value") }
        var depth: [UInt8] = []
        repeat {
            guard i < bytes.count else { throw fail("unexpected end of file inside a value") }
            switch bytes[i] {
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth.append(bytes[i]); i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let expected = depth.last == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard !depth.isEmpty, bytes[i] == expected else { throw fail("unbalanced '\(Character(Unicode.Scalar(bytes[i])))'") }
                depth.removeLast()
                i += 1
            case 0x0A: i += 1; line += 1; lineStart = i
            case UInt8(ascii: ","), 0x20, 0x09, 0x0D, UInt8(ascii: ":"):
                if depth.isEmpty { return }
                i += 1
            default: i += 1
            }
        } while !depth.isEmpty || (i < bytes.count && !Self.endsScalar(bytes[i]))
    }

    private static func endsScalar(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }
}
