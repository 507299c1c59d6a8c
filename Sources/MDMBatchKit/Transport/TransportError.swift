import Foundation

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

/// A `TransportError` that ends a command: the sign-in or a permission refused (77), a
/// service that could not be reached (75).
extension TransportError: ClassifiedError, LocalizedError {
    public var errorDescription: String? { description }

    public var failureKind: FailureKind {
        switch self {
        case .signInRefused, .permissionDenied: .noPermission
        case .throttled, .transient, .unknownOutcome: .temporary
        case .permanent: .dataError
        }
    }
}
