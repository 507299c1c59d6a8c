import Foundation

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
