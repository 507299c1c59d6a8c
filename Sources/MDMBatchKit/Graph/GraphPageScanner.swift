import Foundation

/// Checks a page of a Graph collection without building it: a JSON object with a `value`
/// array, and its `@odata.nextLink` if any. A fault is named by its byte offset.
struct GraphPageScanner {
    struct Failure: Error, Equatable {
        var offset: Int
        var message: String
    }

    struct Page: Equatable {
        var nextLink: String?
        /// Elements of `value`.
        var count: Int
    }

    private static let maximumDepth = 256
    private let bytes: [UInt8]
    private var index = 0

    static func scan(_ bytes: [UInt8]) throws(Failure) -> Page {
        var scanner = GraphPageScanner(bytes: bytes)
        return try scanner.page()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private mutating func page() throws(Failure) -> Page {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { throw fail(index >= bytes.count ? "empty answer, expected a JSON object" : "expected a JSON object") }
        index += 1
        var nextLink: String?
        var count: Int?
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let keyStart = index
                try skipString()
                let key = try decodeString(keyStart..<index)
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after \"\(key)\"") }
                index += 1
                skipWhitespace()
                switch key {
                case "value":
                    guard peek == UInt8(ascii: "[") else { throw fail("value is not an array") }
                    count = try skipArray(depth: 1)
                case "@odata.nextLink":
                    if peek == UInt8(ascii: "n") {
                        try skipValue(depth: 1)
                    } else {
                        guard peek == UInt8(ascii: "\"") else { throw fail("@odata.nextLink is not a string") }
                        let start = index
                        try skipString()
                        nextLink = try decodeString(start..<index)
                    }
                default:
                    try skipValue(depth: 1)
                }
                skipWhitespace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw fail("text after the JSON object") }
        guard let count else { throw Failure(offset: 0, message: "no value array in the page") }
        return Page(nextLink: nextLink, count: count)
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ message: String) -> Failure {
        Failure(offset: index, message: index >= bytes.count ? message + " (the answer ends early)" : message)
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func skipValue(depth: Int) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth) levels") }
        guard let byte = peek else { throw fail("expected a JSON value") }
        switch byte {
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): _ = try skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw fail("expected a JSON value")
        }
    }

    private mutating func skipObject(depth: Int) throws(Failure) {
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            try skipString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            try skipValue(depth: depth)
            skipWhitespace()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            index += 1
            return
        }
    }

    /// Returns the number of elements.
    private mutating func skipArray(depth: Int) throws(Failure) -> Int {
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "]") { index += 1; return 0 }
        var count = 0
        while true {
            skipWhitespace()
            try skipValue(depth: depth)
            count += 1
            skipWhitespace()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            guard peek == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            index += 1
            return count
        }
    }

    private mutating func skipString() throws(Failure) {
        index += 1
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard let escaped = peek else { break }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let hex = peek, hex.isHexDigit else { throw fail("bad \\u escape in a string") }
                        index += 1
                    }
                default:
                    throw fail("bad escape in a string")
                }
            case 0..<0x20:
                throw fail("control character in a string")
            default:
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func skipLiteral(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw fail("expected a JSON value")
        }
        index += expected.count
    }

    private mutating func skipNumber() throws(Failure) {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, first.isDigit else { throw fail("bad number") }
        index += 1
        if first != UInt8(ascii: "0") { while let byte = peek, byte.isDigit { index += 1 } }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek, byte.isDigit else { throw fail("bad number") }
            while let byte = peek, byte.isDigit { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, byte.isDigit else { throw fail("bad number") }
            while let byte = peek, byte.isDigit { index += 1 }
        }
    }

    /// The text of a JSON string token (quotes included) at `range`.
    private func decodeString(_ range: Range<Int>) throws(Failure) -> String {
        let token = Array(bytes[range])
        let inner = token.dropFirst().dropLast()
        if !inner.contains(UInt8(ascii: "\\")) {
            guard let text = String(validating: inner, as: UTF8.self) else {
                throw Failure(offset: range.lowerBound, message: "invalid UTF-8 in a string")
            }
            return text
        }
        let list: [UInt8] = [UInt8(ascii: "[")] + token + [UInt8(ascii: "]")]
        guard let decoded = try? JSONDecoder().decode([String].self, from: Data(list)), let text = decoded.first else {
            throw Failure(offset: range.lowerBound, message: "invalid string")
        }
        return text
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (0x30...0x39).contains(self) }
    fileprivate var isHexDigit: Bool { isDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
