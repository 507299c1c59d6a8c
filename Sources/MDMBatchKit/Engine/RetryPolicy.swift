import Foundation

/// When to try again after a transient failure: capped exponential backoff with full
/// jitter (a uniform delay between 0 and min(cap, base × 2^(attempt − 1))), and never
/// sooner than the service's Retry-After.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// The longest wait after a 429 that gives no `Retry-After`: the service's throttling
    /// window (Intune's is 20 s).
    public var throttleWindow: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30, throttleWindow: Double = 20) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.throttleWindow = throttleWindow
    }

    /// The ceiling of the jittered delay after failed attempt number `attempt` (1-based).
    public func ceiling(afterAttempt attempt: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
    }

    /// The delay before the next attempt, `jitter` being uniform in [0, 1); nil when no
    /// attempt is left.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, jitter: Double) -> Double? {
        guard attempt < maxAttempts else { return nil }
        return max(jitter * ceiling(afterAttempt: attempt), retryAfter ?? 0)
    }

    /// The wait after the `inARow`-th 429 in a row: the service's `Retry-After` when it gives
    /// one; else full jitter under a ceiling that doubles from `baseDelay` up to the window.
    /// There is always a next attempt: a 429 says nothing was done.
    public func throttleDelay(inARow: Int, retryAfter: Double?, jitter: Double) -> Double {
        if let retryAfter { return retryAfter }
        return jitter * min(throttleWindow, baseDelay * pow(2, Double(max(0, inARow - 1))))
    }
}

/// The `Retry-After` header: delay-seconds (RFC 9110 says an integer; fractions are
/// accepted) or an HTTP date.
public enum RetryAfter {
    public static func seconds(_ value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite {
            return max(0, seconds)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
