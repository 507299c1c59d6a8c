import Foundation

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
