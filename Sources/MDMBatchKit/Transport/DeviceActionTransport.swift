import Foundation

/// The delivery channel of a platform: how the service reaches the device.
public enum DeliveryChannel: String, Sendable, Codable {
    case apns = "APNs", fcm = "FCM", wns = "WNS", eas = "EAS"

    /// Exchange-managed devices are reached through EAS; the others through their
    /// platform's push service.
    public static func of(platform: PlatformID, management: Management?) -> DeliveryChannel {
        if management == .eas { return .eas }
        switch platform.family {
        case .apple: return .apns
        case .android: return .fcm
        case .windows, .other: return .wns
        }
    }
}

/// A secret an action makes: shown once, in the secrets file, never stored.
public enum SecretKind: String, Sendable, Codable, CaseIterable {
    /// A reset's temporary passcode (Android, Windows Phone, Windows 10 Mobile).
    case temporaryPasscode = "temporary_passcode"
    /// The PIN that unlocks a Mac locked remotely (today's rules).
    case unlockPIN = "unlock_pin"

    /// For people: "temporary passcode", "unlock PIN".
    public var displayName: String {
        switch self {
        case .temporaryPasscode: "temporary passcode"
        case .unlockPIN: "unlock PIN"
        }
    }
}

/// A secret as the service hands it out. Its description never shows the value, so that
/// a log line or an error message that interpolates it leaks nothing.
public struct ServiceSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var kind: SecretKind
    public var value: String

    public init(kind: SecretKind, value: String) {
        self.kind = kind
        self.value = value
    }

    public var description: String { "<\(kind.rawValue), redacted>" }
    public var debugDescription: String { description }
}

/// One action for one device: one attempt of it.
public struct DeviceCommand: Sendable, Equatable {
    /// The same key for every attempt. The mock honours it (a repeat acts once); Graph
    /// has no such key, so the engine never re-sends what must not happen twice.
    public var idempotencyKey: String
    public var action: Action
    public var deviceID: String
    /// The platform id under the rule set in force.
    public var platform: PlatformID
    public var management: Management?
    /// 1 for the first attempt.
    public var attempt: Int
    /// A new id for every attempt (Graph's `client-request-id`), recorded in the attempt's
    /// audit row so that a support case can be traced at the service.
    public var attemptID: String
    /// The secret the action makes under the rule set in force, if any.
    public var secret: SecretKind?

    public init(idempotencyKey: String, action: Action, deviceID: String, platform: PlatformID,
                management: Management?, attempt: Int, attemptID: String, secret: SecretKind? = nil) {
        self.idempotencyKey = idempotencyKey
        self.action = action
        self.deviceID = deviceID
        self.platform = platform
        self.management = management
        self.attempt = attempt
        self.attemptID = attemptID
        self.secret = secret
    }
}

/// What the service answered to an accepted send.
public struct TransportReceipt: Sendable, Equatable {
    /// How the service reaches the device (the mock names it; Graph does not say).
    public var channel: String?
    /// What the action did, as far as the answer tells (`locked`, `accepted`, …).
    public var effect: String
    /// A secret handed out with the answer (the mock does; Graph never does in a 204:
    /// its secrets come through `lookup`).
    public var secret: ServiceSecret?
    /// The key had been acted on before: nothing new happened (the mock only).
    public var replayed: Bool

    public init(channel: String?, effect: String, secret: ServiceSecret? = nil, replayed: Bool = false) {
        self.channel = channel
        self.effect = effect
        self.secret = secret
        self.replayed = replayed
    }
}

/// What the service said about a refused request, beyond its status: the ids a support
/// case needs. A real Intune 400 often carries only these (an Operation ID in its nested
/// message), no reason.
public struct ServiceReference: Sendable, Equatable, Codable {
    /// Intune's `Operation ID (for customer support)`.
    public var operationID: String?
    /// The service's `request-id` header (or the error's `innerError.request-id`).
    public var requestID: String?
    /// Our `client-request-id` of the attempt.
    public var clientRequestID: String?

    public init(operationID: String? = nil, requestID: String? = nil, clientRequestID: String? = nil) {
        self.operationID = operationID
        self.requestID = requestID
        self.clientRequestID = clientRequestID
    }

    public var isEmpty: Bool { operationID == nil && requestID == nil && clientRequestID == nil }
}

/// Why a send (or a question) failed: what the answer proves about the action, not what to
/// do about it (`RetryDecision` decides that, in one place).
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 429: the service throttles (its budget is shared with the tenant's other apps). Nothing
    /// was done. `retryAfter` is the raw Retry-After header, often absent.
    case throttled(retryAfter: String?, message: String)
    /// Nothing was done, and it may work later: a refused connection (no status: nothing was
    /// written), or the mock's refusal before it acts.
    case transient(status: Int?, retryAfter: String?, message: String)
    /// Will never work for this element: 400, 404, 409 and the other 4xx (`code` is the
    /// service's error code). `message` is the reason the service gave, nil when it gave none.
    case permanent(status: Int, code: String?, message: String?, reference: ServiceReference = ServiceReference())
    /// The service may or may not have acted: 500, 502, 503, 504, 408 (these can come after
    /// the effect), a timeout, a dropped or reset connection, a body that cannot be read.
    case unknownOutcome(message: String)
    /// The service refused the sign-in (bad secret, expired certificate, unknown app).
    case signInRefused(message: String)
    /// A 403: the app lacks a permission. Application permissions are tenant-wide, so the
    /// run stops (it resumes once the permission is granted).
    case permissionDenied(permission: String, message: String)

    public var description: String {
        switch self {
        case .throttled(let retryAfter, let message):
            "HTTP 429 " + message + (retryAfter.map { " (Retry-After: \($0))" } ?? " (no Retry-After)")
        case .transient(let status, let retryAfter, let message):
            (status.map { "HTTP \($0) " } ?? "") + message + (retryAfter.map { " (Retry-After: \($0))" } ?? "")
        case .permanent(let status, let code, let message, let reference):
            "HTTP \(status) " + (code.map { "\($0): " } ?? "")
                + (message ?? "refused by the service, no reason given")
                + (reference.operationID.map { " (Operation ID \($0))" } ?? "")
        case .unknownOutcome(let message): "outcome unknown: \(message)"
        case .signInRefused(let message): "sign-in refused: \(message)"
        case .permissionDenied(let permission, let message): "permission \(permission) missing: \(message)"
        }
    }

    /// The error stops the whole run (nothing more is sent): sign-in or permission.
    public var stopsRun: Bool {
        switch self {
        case .signInRefused, .permissionDenied: true
        case .throttled, .transient, .permanent, .unknownOutcome: false
        }
    }
}

/// A question about an action sent earlier: did the service receive it, and what became of it?
public struct ActionQuery: Sendable, Equatable {
    public var idempotencyKey: String
    public var action: Action
    public var deviceID: String
    public var platform: PlatformID
    /// When the first attempt went out: an action the service reports as started before
    /// this (less a clock-skew allowance) is an older one, not ours.
    public var firstSentAt: Date?
    /// The secret the action makes, if any: the answer includes it while the service holds it.
    public var secret: SecretKind?
    /// A new id for this request (Graph's `client-request-id`).
    public var requestID: String

    public init(idempotencyKey: String, action: Action, deviceID: String, platform: PlatformID, firstSentAt: Date?,
                secret: SecretKind?, requestID: String) {
        self.idempotencyKey = idempotencyKey
        self.action = action
        self.deviceID = deviceID
        self.platform = platform
        self.firstSentAt = firstSentAt
        self.secret = secret
        self.requestID = requestID
    }
}

/// What the service says of an action it received.
public struct ActionReport: Sendable, Equatable {
    public var state: DeviceActionState
    public var startedAt: Date?
    public var updatedAt: Date?
    /// The secret, while the service still holds it.
    public var secret: ServiceSecret?
    /// The action makes a secret but the service no longer holds it (Graph keeps a reset's
    /// passcode for 7 days).
    public var secretGone: Bool

    public init(state: DeviceActionState, startedAt: Date? = nil, updatedAt: Date? = nil, secret: ServiceSecret? = nil,
                secretGone: Bool = false) {
        self.state = state
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.secret = secret
        self.secretGone = secretGone
    }
}

/// The answer to an `ActionQuery`.
public enum ActionLookup: Sendable, Equatable {
    /// The service received the action.
    case received(ActionReport)
    /// The service has no such action: it never arrived, and it is safe to send.
    case notReceived
    /// The service answered, but its answer cannot tell (a result without a readable start).
    case unknown(String)
    /// The question got no answer: a failed read (`RetryDecision.afterRead` says whether
    /// and when to ask again).
    case unanswered(TransportError)
}

/// The device-management service, as the engine sees it: the mock, or Microsoft Graph.
public protocol DeviceActionTransport: Sendable {
    /// Sends one command; throws `TransportError`.
    func send(_ command: DeviceCommand) async throws -> TransportReceipt
    /// Asks what became of an action sent earlier (after a crash or a timeout, and to confirm).
    /// A `signInRefused` or `permissionDenied` is thrown; a read that failed otherwise is `.unanswered`.
    func lookup(_ query: ActionQuery) async throws -> ActionLookup
    /// Releases what the transport holds (an HTTP client's connections). Called once, at the end.
    func shutdown() async
    /// The service shows an action to `lookup` as soon as it answers the send (the mock): not
    /// finding it then proves at once that it never arrived. Graph's results lag behind its
    /// answers, so absence is proof only after `--settle`.
    var showsActionsAtOnce: Bool { get }
}

extension DeviceActionTransport {
    public func shutdown() async {}
    public var showsActionsAtOnce: Bool { false }
}
