import Foundation
import MDMBatchShared

/// How an app proves who it is.
public enum AppCredential: Sendable {
    case secret(String)
    case certificate(RegisteredCertificate)
}

/// An app registered in the simulated tenant.
public struct RegisteredApp: Sendable {
    public var clientID: String
    public var credential: AppCredential

    public init(clientID: String, credential: AppCredential) {
        self.clientID = clientID
        self.credential = credential
    }
}

/// At most `count` in any window of `seconds` (a sliding window).
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var seconds: Double

    public init(count: Int, seconds: Double) {
        self.count = count
        self.seconds = seconds
    }

    /// `N/SECONDS`, e.g. `200/20` (a trailing `s` is allowed).
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0,
              let seconds = Double(parts[1].hasSuffix("s") ? parts[1].dropLast() : parts[1]), seconds > 0 else { return nil }
        self.init(count: count, seconds: seconds)
    }

    public var description: String { "\(count)/\(seconds.formatted())" }
}

extension Double {
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}

/// Intune's service limits: writes (the two actions) and all requests, per app and per tenant.
public struct ThrottleLimits: Sendable, Equatable {
    public var appWrites = RateLimit(count: 200, seconds: 20)
    public var tenantWrites = RateLimit(count: 400, seconds: 20)
    public var appRequests = RateLimit(count: 2_000, seconds: 20)
    public var tenantRequests = RateLimit(count: 4_000, seconds: 20)
    /// Seconds taken off each window, for arrival-time jitter (see `SlidingWindow`).
    public var slack: Double = 0.05

    public init() {}
}

/// How a 429 (or a 503) says when to come back.
public enum RetryAfterForm: String, Sendable, CaseIterable {
    /// `"3"`
    case whole
    /// `"2.128"`
    case fractional
    /// `"Wed, 25 Nov 2026 08:00:30 GMT"`
    case date
    /// no header
    case absent
    /// a seeded choice among the four, per answer
    case mixed
}

/// The faults `--fault-rate` chooses among for the actions.
public enum WriteFault: String, Sendable, CaseIterable {
    /// 503 before the action takes effect.
    case unavailable = "503"
    /// The action takes effect; the answer comes after `--slow-ms`.
    case slow
    /// The action takes effect; the connection closes without an answer.
    case drop
    /// The action takes effect, then 500 `InternalError` (Intune's nested message, no reason).
    case internalServerError = "500"
    /// The action takes effect, then 502 from the gateway (`UnknownError`).
    case badGateway = "502"
    /// The action takes effect, then 504 (`UnknownError`): the gateway gave up waiting for Intune.
    case gatewayTimeout = "504"
}

/// What a second lock of a Mac does while the first lock's unlock PIN is unused.
public enum SecondMacLock: String, Sendable, CaseIterable {
    /// 400 before anything happens (graph-sim's first rounds).
    case refused
    /// 204, then the action ends `failed` on the device (Intune, per DESIGN.md).
    case fails
}

/// What a device reports when its action does not end `done`.
public enum FailedState: String, Sendable, CaseIterable {
    case failed, notSupported, canceled
}

/// Everything the command line sets.
public struct SimConfiguration: Sendable {
    public static let defaultTenant = "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b"

    public var tenant = SimConfiguration.defaultTenant
    public var apps: [RegisteredApp] = []
    public var deniedPermissions: Set<GraphPermission> = []
    /// Lifetime of an access token.
    public var tokenTTL: Int = 3599
    /// Refuse a client assertion whose `jti` was seen before (Entra itself does not).
    public var rejectReusedJTI = false

    /// Mean time an action stays `pending`, then `active` (0: `done` at once).
    public var actionDelayMS: Int = 200
    /// How long the service holds a passcode or an unlock PIN after the action started.
    public var secretTTL: TimeInterval = 7 * 86_400
    /// How long a Mac's unlock PIN counts as unused (a second lock before then fails).
    public var unlockPinTTL: TimeInterval = 30 * 86_400
    public var failDevices: [String: FailedState] = [:]
    public var failRate: Double = 0
    /// Each accepted action shows in `deviceActionResults` only after a seeded delay in
    /// [0, this] seconds (0: at once).
    public var resultsLag: TimeInterval = 0
    public var secondMacLock = SecondMacLock.refused
    /// A 400 refusal's message holds only Intune's Operation ID, Activity ID and URL, no reason.
    public var reasonless400 = false

    /// Nil: no throttling.
    public var throttle: ThrottleLimits? = ThrottleLimits()
    /// Mean writes per second of other apps of the tenant (seeded arrivals), spending the
    /// tenant's write budget (0: none).
    public var foreignLoad: Double = 0
    public var retryAfterForm = RetryAfterForm.mixed

    public var seed: UInt64 = 1
    public var latencyMS: Int = 0
    public var faultRate: Double = 0
    public var faults: [WriteFault] = [.unavailable, .slow, .drop]
    public var slowMS: Int = 30_000
    public var readFaultRate: Double = 0
    /// A page (1 = the first) of every managedDevices listing answered with broken JSON.
    public var malformedPage: Int? = nil

    public init() {}

    /// `--realistic`: as harsh as Intune (DESIGN.md, "What the real service does that
    /// graph-sim did not"); explicit flags are applied after it.
    public static let realisticResultsLag: TimeInterval = 5
    public static let realisticFaultRate = 0.05
    public static let realisticFaults = WriteFault.allCases
    public static let realisticForeignLoad = 15.0

    public mutating func makeRealistic() {
        resultsLag = Self.realisticResultsLag
        faultRate = Self.realisticFaultRate
        faults = Self.realisticFaults
        foreignLoad = Self.realisticForeignLoad
        reasonless400 = true
        secondMacLock = .fails
    }
}
