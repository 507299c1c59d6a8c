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
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var hour = 0, minute = 0, second = 0, offset = 0
        if i < b.count && (b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20) {
            i += 1
            guard let h = number(2), expect(0x3A), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h; minute = m
            if expect(0x3A) {
                guard let s = number(2), s < 61 else { return nil }
                second = min(s, 59)
                if expect(0x2E) || expect(0x2C) {
                    let start = i
                    while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                    guard i > start else { return nil }
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                    i += 1
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let oh = number(2) else { return nil }
                    _ = expect(0x3A)
                    guard let om = number(2), oh < 24, om < 60 else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                }
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
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
