import Foundation
import MDMBatchShared

/// A JSON document written by hand: a page of a thousand devices is written in one pass,
/// with no intermediate dictionaries, and the keys keep the order Graph gives them.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 256) {
        text.reserveCapacity(capacity)
    }

    mutating func openObject() { separate(); text += "{"; needsComma.append(false) }
    mutating func closeObject() { text += "}"; needsComma.removeLast() }
    mutating func openArray() { separate(); text += "["; needsComma.append(false) }
    mutating func closeArray() { text += "]"; needsComma.removeLast() }

    /// Starts a member: the next value written is its value.
    mutating func key(_ name: String) {
        separate()
        text += JSONText.quote(name)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ value: String?) {
        separate()
        text += JSONText.quote(value)
    }

    mutating func number(_ value: Int) { separate(); text += String(value) }
    mutating func bool(_ value: Bool) { separate(); text += value ? "true" : "false" }
    mutating func null() { separate(); text += "null" }

    mutating func member(_ name: String, _ value: String?) { key(name); string(value) }
    mutating func member(_ name: String, _ value: Int) { key(name); number(value) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }
}

/// Times as Graph writes them: UTC, seven fractional digits (`2026-11-26T08:00:30.1234567Z`).
enum GraphTime {
    static func string(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let ticks = min(Int(((seconds - Double(whole)) * 10_000_000).rounded(.down)), 9_999_999)
        var parts = tm()
        gmtime_r(&whole, &parts)
        // digits by hand: String(format:) costs more than the rest of a request's bookkeeping
        var bytes: [UInt8] = []
        bytes.reserveCapacity(28)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            for _ in 0..<count {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                value %= divisor
                divisor = max(divisor / 10, 1)
            }
        }
        digits(Int(parts.tm_year) + 1900, 4); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); bytes.append(UInt8(ascii: "."))
        digits(ticks, 7); bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An HTTP date (RFC 9110 IMF-fixdate): `Wed, 25 Nov 2026 08:00:30 GMT`.
    static func httpDate(_ date: Date) -> String {
        var whole = time_t(date.timeIntervalSince1970.rounded(.up))
        var parts = tm()
        gmtime_r(&whole, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return days[Int(parts.tm_wday)] + ", " + String(format: "%02d", Int(parts.tm_mday)) + " " + months[Int(parts.tm_mon)]
            + String(format: " %04d %02d:%02d:%02d GMT", Int(parts.tm_year) + 1900, Int(parts.tm_hour), Int(parts.tm_min),
                     Int(parts.tm_sec))
    }
}
