import Foundation

/// What the service answered to an element's last failed attempt: its HTTP status and error
/// code, the ids a support case needs (Operation ID, `request-id`), and our attempt's
/// `client-request-id`. A real Intune 400 often gives only the ids, no reason.
public struct ServiceAnswerDetail: Sendable, Equatable {
    public var status: Int?
    public var code: String?
    public var reference = ServiceReference()

    public init(status: Int? = nil, code: String? = nil, reference: ServiceReference = ServiceReference()) {
        self.status = status
        self.code = code
        self.reference = reference
    }

    /// As JSON members of the report element.
    var jsonMembers: String {
        "\"http_status\": \(status.map(String.init) ?? "null"), \"service_code\": \(JSONText.quote(code)), "
            + "\"operation_id\": \(JSONText.quote(reference.operationID)), "
            + "\"service_request_id\": \(JSONText.quote(reference.requestID)), "
            + "\"client_request_id\": \(JSONText.quote(reference.clientRequestID))"
    }
}
