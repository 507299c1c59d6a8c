import Foundation
import MDMBatchShared
import Hummingbird

/// Who asked what: the ids of one request, for error bodies, response headers and the journal.
public struct RequestTrace: Sendable {
    /// The service's id for the request (`request-id`).
    public var requestID: String
    /// The caller's `client-request-id`, echoed.
    public var clientRequestID: String?
    public var received: Date

    public init(requestID: String = UUID().uuidString.lowercased(), clientRequestID: String? = nil, received: Date = Date()) {
        self.requestID = requestID
        self.clientRequestID = clientRequestID
        self.received = received
    }
}

/// A fault the simulator injected into an answer (recorded in the journal).
public enum InjectedFault: String, Sendable {
    /// 503 before anything happened.
    case unavailable
    /// The answer comes after `--slow-ms`.
    case slow
    /// The effect was recorded, then the connection closed without an answer.
    case drop
    /// A page of a listing answered with broken JSON.
    case malformed
    /// 500 after the effect.
    case internalServerError = "500"
    /// 502 after the effect.
    case badGateway = "502"
    /// 504 after the effect.
    case gatewayTimeout = "504"
}

/// An answer other than success, shaped as the real service shapes it: Graph's error
/// object, Intune's nested message, or Entra's OAuth error.
public struct ServiceFailure: Error, Sendable {
    public var status: HTTPResponse.Status
    public var body: String
    public var headers: [(String, String)]
    /// The signed-in app, when known (for the journal).
    public var app: String?
    /// The tenant of the token, or of the token URL (for the journal).
    public var tenant: String?
    /// The other tenants holding the device a token of `tenant` asked for (for the journal).
    public var crossTenant: [String] = []
    public var fault: InjectedFault?

    public init(status: HTTPResponse.Status, body: String, headers: [(String, String)] = [], app: String? = nil,
                fault: InjectedFault? = nil) {
        self.status = status
        self.body = body
        self.headers = headers
        self.app = app
        self.fault = fault
    }

    func by(_ app: String?) -> ServiceFailure {
        var copy = self
        copy.app = copy.app ?? app
        return copy
    }

    func by(_ caller: Caller, crossing others: [String] = []) -> ServiceFailure {
        var copy = by(caller.app)
        copy.tenant = copy.tenant ?? caller.tenant.id
        if copy.crossTenant.isEmpty { copy.crossTenant = others }
        return copy
    }

    /// Graph's error object: `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`.
    public static func graph(_ status: HTTPResponse.Status, code: String, message: String, trace: RequestTrace,
                             headers: [(String, String)] = []) -> ServiceFailure {
        var json = JSONWriter()
        json.openObject()
        json.key("error")
        json.openObject()
        json.member("code", code)
        json.member("message", message)
        json.key("innerError")
        json.openObject()
        json.member("date", GraphTime.string(trace.received).replacingOccurrences(of: ".0000000Z", with: "Z"))
        json.member("request-id", trace.requestID)
        json.member("client-request-id", trace.clientRequestID ?? trace.requestID)
        json.closeObject()
        json.closeObject()
        json.closeObject()
        return ServiceFailure(status: status, body: json.text, headers: headers)
    }

    /// Intune's answer: a Graph error whose message is itself JSON (`_version`, `Message`,
    /// `CustomApiErrorPhrase`, …), its `Message` naming the operation, the activity, the URL
    /// and, last, what went wrong (nil: nothing, as the real service mostly answers).
    public static func intune(_ status: HTTPResponse.Status, code: String, reason: String?, url: String,
                              trace: RequestTrace, summary: String = "An error has occurred") -> ServiceFailure {
        let operationID = UUID().uuidString.lowercased()
        let activityID = trace.clientRequestID ?? trace.requestID
        let message = "\(summary) - Operation ID (for customer support): \(operationID) - Activity ID: "
            + "\(activityID) - Url: \(url)" + (reason.map { " - \($0)" } ?? "")
        let nested = "{\r\n  \"_version\": 3,\r\n  \"Message\": \(JSONText.quote(message)),\r\n"
            + "  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n"
            + "  \"HttpHeaders\": \"{}\"\r\n}"
        return graph(status, code: code, message: nested, trace: trace)
    }

    /// Entra's token endpoint refusal: `error`, `error_description` (`AADSTSnnn: …` and the
    /// trace lines), `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
    public static func entra(_ status: HTTPResponse.Status, error: String, code: Int, description: String,
                             trace: RequestTrace) -> ServiceFailure {
        let timestamp = String(GraphTime.string(trace.received).prefix(19)).replacingOccurrences(of: "T", with: " ") + "Z"
        let correlation = trace.clientRequestID ?? trace.requestID
        var json = JSONWriter()
        json.openObject()
        json.member("error", error)
        json.member("error_description", "AADSTS\(code): \(description)\r\nTrace ID: \(trace.requestID)\r\n"
                    + "Correlation ID: \(correlation)\r\nTimestamp: \(timestamp)")
        json.key("error_codes")
        json.openArray()
        json.number(code)
        json.closeArray()
        json.member("timestamp", timestamp)
        json.member("trace_id", trace.requestID)
        json.member("correlation_id", correlation)
        json.member("error_uri", "https://login.microsoftonline.com/error?code=\(code)")
        json.closeObject()
        return ServiceFailure(status: status, body: json.text)
    }
}
