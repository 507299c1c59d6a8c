import Foundation

/// Graph's `DateTimeOffset`: `2026-11-26T13:11:38Z`, with up to 12 fractional digits and a
/// `Z` or `±hh:mm` offset (`2016-12-31T23:58:46.7156189-08:00`). Read by the one ISO 8601
/// parser, `ISOTimestamp.parts`, keeping the fraction; the shorter forms it also reads are refused.
enum GraphTimestamp {
    static func parse(_ text: String) -> Date? {
        guard let parts = ISOTimestamp.parts(text), parts.separator != 0x20, parts.hasSeconds, !parts.decimalComma,
              parts.fractionDigits <= 12 else { return nil }
        let offset: Int
        switch parts.zone {
        case .utc: offset = 0
        case .offset(let sign, let hours, let minutes, colon: true): offset = sign * (hours * 3600 + minutes * 60)
        case .offset, .none: return nil
        }
        let seconds = Double(parts.daysSinceEpoch * 86400 + parts.hour * 3600 + parts.minute * 60 + parts.second - offset)
            + parts.fraction
        return Date(timeIntervalSince1970: seconds)
    }
}
