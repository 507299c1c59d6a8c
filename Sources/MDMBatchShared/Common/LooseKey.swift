import Foundation

/// A name as matched loosely: lower-cased, without spaces, tabs, `_`, `-` and
/// parentheses. Used for CSV headers, platform names and management values alike
/// ("Device ID" = "device_id", "Android (work profile)" = "androidworkprofile").
public func looseKey(_ text: some StringProtocol) -> String {
    String(decoding: text.utf8.compactMap { c -> UInt8? in
        switch c {
        case 0x20, 0x09, UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"): return nil
        case 0x41...0x5A: return c + 0x20
        default: return c
        }
    }, as: UTF8.self)
}

/// A lookup table keyed by `looseKey` of each name (names that fold together are fine).
package func looseTable<Value>(_ entries: [(String, Value)]) -> [String: Value] {
    var table: [String: Value] = [:]
    for (name, value) in entries { table[looseKey(name)] = value }
    return table
}

/// `text` without leading and trailing white space (Foundation's `.whitespaces`), without
/// bridging to `NSString` in the common case where both ends are visible ASCII.
package func trimmingWhitespace(_ text: String) -> String {
    func visibleASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
    guard let first = text.utf8.first, let last = text.utf8.last else { return text }
    if visibleASCII(first) && visibleASCII(last) { return text }
    return text.trimmingCharacters(in: .whitespaces)
}
