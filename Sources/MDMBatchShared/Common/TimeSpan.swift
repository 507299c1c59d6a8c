import Foundation

/// A length of time as people write it on a command line: `90`, `90s`, `15m`, `2h`, `1d`
/// (a number and an optional unit; fractions allowed).
public enum TimeSpan {
    /// Seconds, or nil when the text is not such a duration (or not positive).
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1.0
        if let last = number.last, let factor = units[Character(last.lowercased())] {
            unit = factor
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value * unit
    }
}
