/// Small, allocation-free readers of field bytes shared by the importers.
package enum FieldText {
    /// The bytes without leading and trailing spaces and tabs.
    @inline(__always)
    package static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0, upper = bytes.count
        while lower < upper && (bytes[lower] == 0x20 || bytes[lower] == 0x09) { lower += 1 }
        while upper > lower && (bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09) { upper -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
    }

    package static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `true` / `false` (any case) → 1 / 0; empty → nil (unknown).
    package static func passcodeFlag(_ bytes: UnsafeRawBufferPointer) throws(RowErrorMessage) -> Int32? {
        if bytes.isEmpty { return nil }
        switch looseKey(string(bytes)) {
        case "true": return 1
        case "false": return 0
        default: throw RowErrorMessage("expected true, false or empty, got \"\(string(bytes))\"")
        }
    }
}

package struct RowErrorMessage: Error {
    package var text: String
    package init(_ text: String) { self.text = text }
}
