import Foundation
import MDMBatchShared

/// The values of graph-sim's own flags that are neither plain numbers nor names.
public enum FlagValues {
    /// Seconds: `500ms`, or what mdmbatch's own durations read (`5`, `5s`, `2m`), or `0` (`0s`).
    public static func seconds(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let zero = Double(text.hasSuffix("s") ? String(text.dropLast()) : text), zero == 0 { return 0 }
        if text.hasSuffix("ms") {
            guard let millis = Double(text.dropLast(2)), millis.isFinite, millis >= 0 else { return nil }
            return millis / 1000
        }
        return TimeSpan.seconds(text)
    }

    /// Events per second: `N`, `N/s`, or `N/DURATION` (`300/20s`); `0` for none.
    public static func perSecond(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard (1...2).contains(parts.count), let count = Double(parts[0]), count.isFinite, count >= 0 else { return nil }
        guard parts.count == 2 else { return count }
        guard let seconds = parts[1] == "s" ? 1 : TimeSpan.seconds(parts[1]) else { return nil }
        return count / seconds
    }
}
