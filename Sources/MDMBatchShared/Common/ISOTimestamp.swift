import Foundation

/// ISO 8601 timestamps: `YYYY-MM-DD`, optionally `T` (or a space) `HH:MM[:SS[.fraction]]`,
/// optionally `Z` or `±HH[:]MM`. Without a zone the time is taken as UTC. The result is
/// normalised to `YYYY-MM-DDTHH:MM:SSZ` so that stored times compare as text.
public enum ISOTimestamp {
    /// True when the bytes already are a valid `YYYY-MM-DDTHH:MM:SSZ` (the common case,
    /// checked without allocating).
    package static func isNormalised(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == UInt8(ascii: "T"), b[13] == 0x3A, b[16] == 0x3A,
              b[19] == UInt8(ascii: "Z") else { return false }
        func number(_ at: Int, _ digits: Int) -> Int? {
            var value = 0
            for k in at..<at + digits {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return false }
        return (1...12).contains(month) && day >= 1 && day <= daysIn(month: month, year: year)
            && hour < 24 && minute < 60 && second < 60
    }

    public static func normalise(_ text: String) -> String? {
        guard let seconds = epochSeconds(text) else { return nil }
        return format(epochSeconds: seconds)
    }

    public static func epochSeconds(_ text: String) -> Int64? {
        guard let parts = parts(text), parts.day <= daysIn(month: parts.month, year: parts.year) else { return nil }
        var offset = 0
        if case .offset(let sign, let hours, let minutes, _) = parts.zone {
            guard hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        return Int64(parts.daysSinceEpoch) * 86_400 + Int64(parts.hour * 3600 + parts.minute * 60 + min(parts.second, 59) - offset)
    }

    /// What an ISO 8601 timestamp says, as written: the one reading of the text, whose
    /// callers decide which of its forms they take (`epochSeconds` any; Graph's
    /// `DateTimeOffset` only the full one with seconds and a zone).
    package struct Parts {
        package var year = 0, month = 0, day = 0
        package var hour = 0, minute = 0, second = 0
        /// `T`, `t` or a space; nil for a date alone.
        package var separator: UInt8?
        package var hasSeconds = false
        /// The fraction of a second, and how many digits it was written with (after `.`, or `,`).
        package var fraction = 0.0
        package var fractionDigits = 0
        package var decimalComma = false
        package var zone = Zone.none

        package enum Zone {
            case none
            case utc
            /// `±hh:mm`, or `±hhmm` without the colon; the hours and minutes as written.
            case offset(sign: Int, hours: Int, minutes: Int, colon: Bool)
        }

        /// Days from 1970-01-01 to the date.
        package var daysSinceEpoch: Int { ISOTimestamp.daysFromCivil(year: year, month: month, day: day) }
    }

    /// Reads `YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]][Z|z|±HH[:]MM]]`; nil when the text
    /// is not that, or a field is out of its range (a day of 1 to 31, a second up to 60).
    package static func parts(_ text: String) -> Parts? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var value = 0
            for k in 0..<digits {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            i += digits
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count && b[i] == c else { return false }
            i += 1
            return true
        }
        var parts = Parts()
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        (parts.year, parts.month, parts.day) = (year, month, day)
        if i < b.count && (b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20) {
            parts.separator = b[i]
            i += 1
            guard let h = number(2), expect(0x3A), let m = number(2), h < 24, m < 60 else { return nil }
            (parts.hour, parts.minute) = (h, m)
            if expect(0x3A) {
                guard let s = number(2), s < 61 else { return nil }
                parts.second = s
                parts.hasSeconds = true
                parts.decimalComma = i < b.count && b[i] == 0x2C
                if expect(0x2E) || expect(0x2C) {
                    let start = i
                    var scale = 0.1
                    while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                        parts.fraction += Double(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                    }
                    guard i > start else { return nil }
                    parts.fractionDigits = i - start
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                    i += 1
                    parts.zone = .utc
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let hours = number(2) else { return nil }
                    let colon = expect(0x3A)
                    guard let minutes = number(2) else { return nil }
                    parts.zone = .offset(sign: sign, hours: hours, minutes: minutes, colon: colon)
                }
            }
        }
        guard i == b.count else { return nil }
        return parts
    }

    public static func format(epochSeconds: Int64) -> String {
        format(epochSeconds: epochSeconds, millis: nil)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or `YYYY-MM-DDTHH:MM:SS.mmmZ` with `millis`: written digit by
    /// digit (timestamps are on every audit row and journal record).
    package static func format(epochSeconds: Int64, millis: Int?) -> String {
        let days = Int(floorDiv(epochSeconds, 86_400))
        let rest = Int(epochSeconds - Int64(days) * 86_400)
        let (y, m, d) = civilFromDays(days)
        guard (0...9999).contains(y) else {
            let year = String(y)
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let fraction = millis.map { ".\(String(repeating: "0", count: $0 < 10 ? 2 : $0 < 100 ? 1 : 0))\($0)" } ?? ""
            return "\(year)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))\(fraction)Z"
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var i = 0
            func put(_ byte: UInt8) { buffer[i] = byte; i += 1 }
            func digits(_ value: Int, _ count: Int) {
                var divisor = 1
                for _ in 1..<count { divisor *= 10 }
                while divisor > 0 { put(UInt8(0x30 + value / divisor % 10)); divisor /= 10 }
            }
            digits(y, 4); put(0x2D); digits(m, 2); put(0x2D); digits(d, 2); put(UInt8(ascii: "T"))
            digits(rest / 3600, 2); put(0x3A); digits(rest / 60 % 60, 2); put(0x3A); digits(rest % 60, 2)
            if let millis { put(0x2E); digits(millis, 3) }
            put(UInt8(ascii: "Z"))
            return i
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's algorithms: days since 1970-01-01 in the proleptic Gregorian calendar.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension ISOTimestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
    public static func formatMillis(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = Int(millis - seconds * 1000)
        return format(epochSeconds: seconds, millis: fraction)
    }
}
