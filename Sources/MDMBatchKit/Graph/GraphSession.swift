import Foundation
import Logging

/// Signed, paced requests to Graph: every request waits for its slot in the request rate
/// limit, carries `Authorization: Bearer …`, `Accept: application/json`, the caller's
/// `client-request-id` and `User-Agent: mdmbatch/VERSION`; a 401 renews the token once and
/// sends again once. Shared by the transport and the pager.
public final class GraphSession: Sendable {
    public let settings: GraphSettings
    public let tokens: TokenProvider
    let executor: any GraphHTTPExecutor
    let limiter: RateLimiter?
    let clock: any EngineClock
    /// The `client-request-id`s of the requests the session makes itself (sign-in, pages).
    let ids: any IdentifierSource
    let logger: Logger

    public init(settings: GraphSettings, credentials: GraphCredentials, executor: any GraphHTTPExecutor,
                clock: any EngineClock, ids: any IdentifierSource = SystemIdentifiers(), logger: Logger) {
        self.settings = settings
        self.executor = executor
        self.clock = clock
        self.ids = ids
        self.logger = logger
        tokens = TokenProvider(credentials: credentials, settings: settings, executor: executor, clock: clock, ids: ids,
                               logger: logger)
        limiter = settings.requestRate.map { RateLimiter(policy: $0, clock: clock) }
    }

    /// A session over a new async-http-client `HTTPClient` (`GraphHTTPClient`).
    public static func live(settings: GraphSettings, credentials: GraphCredentials, clock: any EngineClock,
                            ids: any IdentifierSource = SystemIdentifiers(), logger: Logger) -> GraphSession {
        GraphSession(settings: settings, credentials: credentials,
                     executor: GraphHTTPClient(settings: settings, logger: logger), clock: clock, ids: ids, logger: logger)
    }

    /// Signs in now, so that a refused sign-in (77) stops a command before anything is sent.
    public func signIn() async throws {
        _ = try await tokens.token()
    }

    /// Sends a request and returns the answer, whatever its status but 401. A connection
    /// failure becomes `.transient(status: nil, …)` (nothing written) or `.unknownOutcome`;
    /// a second 401 becomes `.signInRefused`.
    func send(_ method: GraphHTTPRequest.Method, url: String, requestID: String) async throws -> GraphHTTPResponse {
        var rejected: AccessToken?
        for round in 1...2 {
            try await limiter?.acquire()
            // The token is taken once the pace slot is, just before the request goes out: a
            // wait in the pace longer than the token has left must not send a token that ended.
            let token = if let rejected { try await tokens.renew(after: rejected) } else { try await tokens.token() }
            let request = GraphHTTPRequest(method: method, url: url, headers: [
                "Authorization": "Bearer \(token.value)", "Accept": "application/json",
                "client-request-id": requestID, "User-Agent": settings.userAgent,
            ])
            let startedAt = clock.now()
            let response: GraphHTTPResponse
            do {
                response = try await executor.execute(request)
            } catch let failure as GraphConnectionFailure {
                logger.debug("graph request failed", metadata: [
                    "method": "\(method.rawValue)", "url": "\(url)", "client_request_id": "\(requestID)", "failure": "\(failure)",
                ])
                switch failure {
                case .notSent(let message): throw TransportError.transient(status: nil, retryAfter: nil, message: message)
                case .noAnswer(let message): throw TransportError.unknownOutcome(message: message)
                // issue 23 item 5: an answer too large to read is permanent, never asked again
                case .tooLarge(let status, let message):
                    throw TransportError.permanent(status: status, code: GraphConnectionFailure.tooLargeCode, message: message)
                }
            }
            logger.debug("graph request", metadata: [
                "method": "\(method.rawValue)", "url": "\(url)", "client_request_id": "\(requestID)",
                "status": "\(response.status)", "ms": "\(Int((clock.now() - startedAt) * 1000))",
                "request_id": "\(response.header("request-id") ?? "")",
            ])
            guard response.status == 401 else { return response }
            if round == 1 {
                // The service no longer takes this token (revoked, or a clock running fast):
                // a new one, then the same request once more. A 401 acted on nothing.
                rejected = token
            } else {
                let detail = GraphAnswer.ErrorBody(response.body).summary ?? "no error description"
                throw TransportError.signInRefused(message: "Graph refused a new access token (HTTP 401): \(detail)")
            }
        }
        preconditionFailure("unreachable")
    }

    /// Closes the HTTP client's connections. Once, at the end.
    public func shutdown() async {
        await executor.shutdown()
    }
}
