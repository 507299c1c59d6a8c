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
    /// Requests of every kind per app over all tenants together (Graph's global limit per
    /// app, 130 000 per 10 s); nil: none.
    public var appWideRequests: RateLimit? = RateLimit(count: 130_000, seconds: 10)
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

/// A tenant's sign-ins refused for a while (`--refuse-sign-in TENANT@FROM-TO`), as Entra
/// refuses an app that is not consented in the tenant.
public struct SignInRefusal: Sendable, Equatable {
    public var tenant: String
    /// Seconds after the service started: refused from `from` (included) to `to` (excluded).
    public var from: Double
    public var to: Double

    public init(tenant: String, from: Double, to: Double) {
        self.tenant = tenant
        self.from = from
        self.to = to
    }

    func covers(tenant: String, elapsed: Double) -> Bool {
        self.tenant.lowercased() == tenant.lowercased() && from <= elapsed && elapsed < to
    }
}

/// Everything the command line sets.
public struct SimConfiguration: Sendable {
    public static let defaultTenant = "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b"

    /// The tenant of `--tenant ID` with `--fleet` (or, without them, the first `--tenant
    /// ID=FLEET`): its seed is `seed` itself, so that one tenant behaves as it always did.
    public var tenant = SimConfiguration.defaultTenant
    public var apps: [RegisteredApp] = []
    /// Denied in every tenant.
    public var deniedPermissions: Set<GraphPermission> = []
    /// Denied in one tenant (`--deny-permission TENANT:NAME`), by the tenant id lower-cased.
    public var tenantDeniedPermissions: [String: Set<GraphPermission>] = [:]
    /// Tenants whose sign-ins are refused for a while.
    public var signInRefusals: [SignInRefusal] = []
    /// Journal lines name their tenant (`tenant`): set once tenants are given as `--tenant
    /// ID=FLEET`; a service of more than one tenant does it anyway.
    public var journalTenant = false
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

    /// Whether calls needing `permission` answer 403 in `tenant`.
    public func denies(_ permission: GraphPermission, tenant: String) -> Bool {
        deniedPermissions.contains(permission) || tenantDeniedPermissions[tenant.lowercased()]?.contains(permission) == true
    }

    /// The seed of what is drawn for one tenant alone (a synthetic fleet, other apps' load):
    /// `seed` for the primary tenant, so that one tenant draws what it always drew; for the
    /// others `seed` mixed with their id, so that two tenants do not hold the same devices.
    public func seed(forTenant id: String) -> UInt64 {
        let key = id.lowercased()
        guard key != tenant.lowercased() else { return seed }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return seed ^ hash
    }

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
