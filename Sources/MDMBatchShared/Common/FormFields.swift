/// `application/x-www-form-urlencoded` fields: a token request's body, or a URL's query.
/// Keys and values are percent-decoded (`%24select` is `$select`) and `+` is a space. A
/// field given twice keeps its first value; bytes that do not decode are kept as they are.
public struct FormFields: Sendable, Equatable {
    public private(set) var pairs: [(key: String, value: String)] = []

    public init(_ encoded: String) {
        for part in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let (key, value): (Substring, Substring)
            if let equals = part.firstIndex(of: "=") {
                (key, value) = (part[..<equals], part[part.index(after: equals)...])
            } else {
                (key, value) = (part[...], "")
            }
            pairs.append((Self.decode(key), Self.decode(value)))
        }
    }

    public subscript(key: String) -> String? {
        pairs.first { $0.key == key }?.value
    }

    /// Fields encoded: a token request's body, or (`keepingQuerySigns`) a query string as
    /// Graph writes one (`@odata.nextLink`).
    public static func encode(_ pairs: [(String, String)], keepingQuerySigns: Bool = false) -> String {
        pairs.map { escape($0.0, keepingQuerySigns: keepingQuerySigns) + "=" + escape($0.1, keepingQuerySigns: keepingQuerySigns) }
            .joined(separator: "&")
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(0x20)
            case UInt8(ascii: "%"):
                let high = iterator.next(), low = iterator.next()
                if let high, let low, let h = hexValue(high), let l = hexValue(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `text` with every byte but the unreserved characters (RFC 3986) percent-encoded;
    /// with `keepingQuerySigns`, `$` and `,` too are left as they are, as Graph writes them
    /// in a query.
    public static func escape(_ text: String, keepingQuerySigns: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "$"), UInt8(ascii: ","):
                if keepingQuerySigns {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
                }
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    public static func == (a: FormFields, b: FormFields) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.key == $1.key && $0.value == $1.value }
    }
}
