import Foundation

/// A structural problem in a CSV file, at a line and field number.
public struct CSVError: Error, Sendable, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
}

/// A streaming, byte-level RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF
/// (or a lone CR), newlines inside quotes, a leading UTF-8 byte order mark. Fields are
/// handed out as byte slices of an internal buffer, valid until the next record, so
/// reading costs no allocation per row and memory stays flat whatever the file size.
///
/// Blank lines between records are skipped. Every field is checked to be valid UTF-8,
/// without a NUL byte, and at most `maxFieldBytes` long (a longer one is refused as soon
/// as it is seen, so that memory stays flat whatever the input).
/// After a structural error the reader resynchronises at the next line, so a caller
/// that skips invalid rows can go on.
public final class CSVReader {
    private let source: ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var position = 0          // first byte not yet consumed
    private var filled = 0            // bytes of `buffer` that hold input
    private var atEOF = false
    private var checkedBOM = false
    private var nextLine = 1          // line on which the next record starts
    private let maxFieldBytes: Int

    private var starts: [Int] = []
    private var counts: [Int] = []
    private var escaped: [Bool] = []  // quoted field holding doubled quotes, to unescape
    private var lines: [Int] = []

    /// Line on which the current record starts.
    public private(set) var recordLine = 0
    /// Number of fields in the current record.
    public var fieldCount: Int { counts.count }

    public init(source: ByteSource, chunkSize: Int = 1 << 20, maxFieldBytes: Int = InputLimits.standard.maxFieldBytes) {
        self.source = source
        self.maxFieldBytes = maxFieldBytes
        buffer = .allocate(byteCount: max(chunkSize, 1), alignment: 1)
    }

    deinit { buffer.deallocate() }

    /// The bytes of field `index` of the current record.
    @inline(__always)
    public func field(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[starts[index] ..< starts[index] + counts[index]])
    }

    /// Field `index` of the current record as a string.
    public func string(_ index: Int) -> String {
        String(decoding: field(index), as: UTF8.self)
    }

    /// The line on which field `index` of the current record starts.
    public func line(ofField index: Int) -> Int { lines[index] }

    /// Advances to the next record; false at the end of the input.
    public func nextRecord() throws -> Bool {
        if !checkedBOM { try skipByteOrderMark() }
        while true {
            switch parseRecord() {
            case .complete:
                try unescapeAndValidate()
                return true
            case .blankLine:
                continue
            case .needMore:
                if atEOF {
                    // parseRecord only asks for more before EOF; at EOF it finishes or fails
                    return false
                }
                try refill()
            case .endOfInput:
                return false
            case .failed(let error, let resume):
                position = resume.position
                nextLine = resume.line
                throw error
            }
        }
    }

    private struct Resume { var position: Int; var line: Int }
    private enum Outcome {
        case complete, blankLine, needMore, endOfInput
        case failed(CSVError, Resume)
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
                       lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Parses one record starting at `position`. Consumes it only when complete.
    private func parseRecord() -> Outcome {
        starts.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        escaped.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let end = filled
        var i = position
        var line = nextLine
        if i >= end { return atEOF ? .endOfInput : .needMore }

        // A blank line (LF, CRLF or CR alone) is not a record.
        if base[i] == Self.lf || base[i] == Self.cr {
            if base[i] == Self.cr {
                if i + 1 >= end && !atEOF { return .needMore }
                if i + 1 < end && base[i + 1] == Self.lf { i += 1 }
            }
            position = i + 1
            nextLine = line + 1
            return .blankLine
        }

        while true {
            // start of a field
            if i < end && base[i] == Self.quote {
                let fieldLine = line
                i += 1
                let start = i
                var hasDoubled = false
                while true {
                    while i < end && base[i] != Self.quote {
                        if base[i] == Self.lf { line += 1 }
                        else if base[i] == Self.cr && !(i + 1 < end && base[i + 1] == Self.lf) { line += 1 }
                        i += 1
                    }
                    if i - start > maxFieldBytes { return tooLong(fieldLine, from: i, line: line) }
                    if i >= end {
                        if !atEOF { return .needMore }
                        return .failed(
                            CSVError(line: fieldLine, column: counts.count + 1,
                                     message: "unterminated quoted field (opened here, no closing quote before the end of the file)"),
                            Resume(position: end, line: line))
                    }
                    // a quote: doubled, or the closing one
                    if i + 1 >= end && !atEOF { return .needMore }
                    if i + 1 < end && base[i + 1] == Self.quote {
                        hasDoubled = true
                        i += 2
                        continue
                    }
                    break
                }
                starts.append(start)
                counts.append(i - start)
                escaped.append(hasDoubled)
                lines.append(fieldLine)
                i += 1  // past the closing quote
                if i >= end && !atEOF { return .needMore }
                if i >= end { return finish(at: i, line: line, terminatorLength: 0) }
                let c = base[i]
                if c == Self.comma { i += 1; continue }
                if c == Self.lf { return finish(at: i, line: line, terminatorLength: 1) }
                if c == Self.cr { return finishCR(at: i, line: line, end: end) }
                return .failed(
                    CSVError(line: line, column: counts.count,
                             message: "expected a comma or the end of the line after a closing quote, found \(describe(c))"),
                    resync(from: i, line: line))
            } else {
                let start = i
                while i < end {
                    let c = base[i]
                    if c == Self.comma || c == Self.lf || c == Self.cr { break }
                    if c == Self.quote {
                        return .failed(
                            CSVError(line: line, column: counts.count + 1,
                                     message: "a quote inside an unquoted field (quote the whole field and double the quote)"),
                            resync(from: i, line: line))
                    }
                    i += 1
                }
                if i - start > maxFieldBytes { return tooLong(line, from: i, line: line) }
                if i >= end && !atEOF { return .needMore }
                starts.append(start)
                counts.append(i - start)
                escaped.append(false)
                lines.append(line)
                if i >= end { return finish(at: i, line: line, terminatorLength: 0) }
                let c = base[i]
                if c == Self.comma { i += 1; continue }
                if c == Self.lf { return finish(at: i, line: line, terminatorLength: 1) }
                return finishCR(at: i, line: line, end: end)
            }
        }
    }

    private func finishCR(at i: Int, line: Int, end: Int) -> Outcome {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if i + 1 >= end && !atEOF { return .needMore }
        let crlf = i + 1 < end && base[i + 1] == Self.lf
        return finish(at: i, line: line, terminatorLength: crlf ? 2 : 1)
    }

    private func finish(at i: Int, line: Int, terminatorLength: Int) -> Outcome {
        recordLine = nextLine
        position = i + terminatorLength
        nextLine = terminatorLength > 0 ? line + 1 : line
        return .complete
    }

    private func tooLong(_ fieldLine: Int, from i: Int, line: Int) -> Outcome {
        .failed(CSVError(line: fieldLine, column: counts.count + 1, message: "a field longer than \(maxFieldBytes) bytes"),
                resync(from: i, line: line))
    }

    /// Where to go on after a structural error: the start of the next physical line.
    private func resync(from i: Int, line: Int) -> Resume {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var j = i
        while j < filled && base[j] != Self.lf && base[j] != Self.cr { j += 1 }
        if j < filled && base[j] == Self.cr && j + 1 < filled && base[j + 1] == Self.lf { j += 1 }
        return Resume(position: min(j + 1, filled), line: line + 1)
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x" + String(c, radix: 16)
    }

    /// Undoes doubled quotes in place (the record is complete, so it is never re-parsed)
    /// and checks that every field is valid UTF-8.
    private func unescapeAndValidate() throws {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for f in 0..<counts.count {
            if escaped[f] {
                var read = starts[f], write = starts[f]
                let stop = starts[f] + counts[f]
                while read < stop {
                    base[write] = base[read]
                    read += base[read] == Self.quote ? 2 : 1
                    write += 1
                }
                counts[f] = write - starts[f]
            }
            let field = UnsafeRawBufferPointer(start: base + starts[f], count: counts[f])
            if let bad = UTF8Check.firstInvalidOffset(field) {
                throw CSVError(line: lines[f], column: f + 1,
                               message: "invalid UTF-8 (byte 0x\(String(base[starts[f] + bad], radix: 16)) at byte \(bad + 1) of the field)")
            }
            if counts[f] > 0, memchr(field.baseAddress!, 0, counts[f]) != nil {
                throw CSVError(line: lines[f], column: f + 1, message: "a NUL byte in the field")
            }
        }
    }

    private func skipByteOrderMark() throws {
        checkedBOM = true
        let head = try source.peek(3)
        if head == [0xEF, 0xBB, 0xBF] {
            var skip = [UInt8](repeating: 0, count: 3)
            _ = try skip.withUnsafeMutableBytes { try source.read(into: $0) }
        }
    }

    /// Moves the unconsumed bytes to the front and reads more, growing the buffer when
    /// one record is larger than it.
    private func refill() throws {
        let remaining = filled - position
        if position > 0 {
            if remaining > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + position, byteCount: remaining)
            }
            position = 0
            filled = remaining
        }
        if filled == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 1)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: filled)
            buffer.deallocate()
            buffer = bigger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        if n == 0 { atEOF = true }
        filled += n
    }
}

/// UTF-8 validation with an ASCII fast path.
public enum UTF8Check {
    /// Offset of the first byte that starts an invalid sequence, or nil when valid.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch b0 {
            case 0xC2...0xDF: length = 2; scalar = UInt32(b0 & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(b0 & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(b0 & 0x07); minimum = 0x10000
            default: return i
            }
            if i + length > n { return i }
            for k in 1..<length {
                let b = bytes[i + k]
                if b & 0xC0 != 0x80 { return i }
                scalar = scalar << 6 | UInt32(b & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += length
        }
        return nil
    }
}
