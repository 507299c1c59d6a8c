/// The delivery channel of a platform: how the service reaches the device.
public enum DeliveryChannel: String, Sendable, Codable {
    case apns = "APNs", fcm = "FCM", wns = "WNS", eas = "EAS"

    /// Exchange-managed devices are reached through EAS; the others through their
    /// platform's push service.
    public static func of(platform: PlatformID, management: Management?) -> DeliveryChannel {
        if management == .eas { return .eas }
        switch platform {
        case .ios, .macos: return .apns
        case .android: return .fcm
        case .windows10mobile, .windows10desktop, .windowsphone8, .windowsrt81, .windowsrt, .windows81: return .wns
        }
    }
}

/// One action for one device.
public struct DeviceCommand: Sendable, Equatable {
    /// The same key for every attempt: a service that honours it acts once.
    public var idempotencyKey: String
    public var action: Action
    public var deviceID: String
    public var platform: PlatformID
    public var management: Management?
    /// 1 for the first attempt.
    public var attempt: Int

    public init(idempotencyKey: String, action: Action, deviceID: String, platform: PlatformID,
                management: Management?, attempt: Int) {
        self.idempotencyKey = idempotencyKey
        self.action = action
        self.deviceID = deviceID
        self.platform = platform
        self.management = management
        self.attempt = attempt
    }
}

/// What the service answered to a successful send.
public struct TransportReceipt: Sendable, Equatable {
    public var channel: String
    /// What the action did (`locked`, `passcode_cleared`, `temporary_passcode_set`).
    public var effect: String
    /// A reset's temporary passcode: shown once, never stored.
    public var temporaryPasscode: String?
    /// The key had been acted on before: nothing new happened.
    public var replayed: Bool

    public init(channel: String, effect: String, temporaryPasscode: String? = nil, replayed: Bool = false) {
        self.channel = channel
        self.effect = effect
        self.temporaryPasscode = temporaryPasscode
        self.replayed = replayed
    }
}

/// Why a send failed.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Try again later (429, 503, 504): `retryAfter` is the raw Retry-After header, if any.
    case transient(status: Int, retryAfter: String?, message: String)
    /// Will never work (400, 403, 404).
    case permanent(status: Int, message: String)
    /// The request may or may not have been acted on (a timeout, a dropped connection).
    case unknownOutcome(message: String)

    public var description: String {
        switch self {
        case .transient(let status, let retryAfter, let message):
            "HTTP \(status) \(message)" + (retryAfter.map { " (Retry-After: \($0))" } ?? "")
        case .permanent(let status, let message): "HTTP \(status) \(message)"
        case .unknownOutcome(let message): "outcome unknown: \(message)"
        }
    }
}

/// What the service knows of an idempotency key.
public enum TransportStatus: Sendable, Equatable {
    case succeeded(TransportReceipt)
    case notReceived
    /// The service cannot tell.
    case unknown
}

/// The device-management service, as the engine sees it. Implementations: the mock;
/// later an HTTP one for Microsoft Graph.
public protocol DeviceActionTransport: Sendable {
    /// Sends one command; throws `TransportError`.
    func send(_ command: DeviceCommand) async throws -> TransportReceipt
    /// Asks what became of an idempotency key (after a crash or a timeout).
    func status(idempotencyKey: String) async -> TransportStatus
}
