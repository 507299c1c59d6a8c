import Foundation
import Logging
import Synchronization

/// An access token: opaque (never parsed), in memory only. Its description never shows it.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String
    /// Clock times (`EngineClock.now()`): when it was asked for, and when it expires.
    public let obtainedAt: Double
    public let expiresAt: Double

    public var lifetime: Double { expiresAt - obtainedAt }

    /// Less than min(5 minutes, a tenth of its lifetime) remains.
    public func needsRenewal(at now: Double) -> Bool {
        expiresAt - now < min(300, lifetime / 10)
    }

    public var description: String { "<access token, redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["obtainedAt": obtainedAt, "expiresAt": expiresAt]) }
}

/// App-only sign-in (OAuth 2.0 client credentials) at `{authority}/{tenant}/oauth2/v2.0/token`,
/// with a client secret or a certificate assertion. Keeps the token, renews it when less than
/// min(5 minutes, a tenth of its lifetime) remains or when Graph refuses it, and lets
/// concurrent callers share one sign-in in flight.
public actor TokenProvider {
    /// Assumed when the authority does not say `expires_in`.
    static let defaultLifetime: Double = 600

    private let credentials: GraphCredentials
    private let tokenURL: String
    private let scope: String
    private let userAgent: String
    private let executor: any GraphHTTPExecutor
    private let clock: any EngineClock
    /// The assertions' `jti` and the requests' `client-request-id`.
    private let ids: any IdentifierSource
    private let logger: Logger
    private var current: AccessToken?
    private var pending: SharedSignIn?
    /// Token requests made (for tests and logs).
    public private(set) var signIns = 0

    public init(credentials: GraphCredentials, settings: GraphSettings, executor: any GraphHTTPExecutor,
                clock: any EngineClock, ids: any IdentifierSource = SystemIdentifiers(), logger: Logger) {
        self.credentials = credentials
        tokenURL = settings.tokenURL(tenantID: credentials.tenantID)
        scope = settings.scope
        userAgent = settings.userAgent
        self.executor = executor
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    /// A token good for a while yet. Throws `TransportError.signInRefused` when the authority
    /// refuses, `.transient` when it cannot be reached or answers 429/5xx.
    public func token() async throws -> AccessToken {
        if let current, !current.needsRenewal(at: clock.now()) { return current }
        return try await signIn()
    }

    /// A new token after Graph refused `rejected` (401), unless another caller already got one.
    public func renew(after rejected: AccessToken) async throws -> AccessToken {
        if current == rejected { current = nil }
        return try await token()
    }

    private func signIn() async throws -> AccessToken {
        if let pending { return try await pending.value() }
        signIns += 1
        let shared = SharedSignIn(Task { try await self.signInAndKeep() })
        pending = shared
        return try await shared.value()
    }

    /// Keeps the token and ends the sign-in in one step on the actor, before any caller
    /// waiting for it resumes: none of them can then join a finished sign-in for a token
    /// that Graph has refused meanwhile.
    private func signInAndKeep() async throws -> AccessToken {
        defer { pending = nil }
        let token = try await requestToken()
        current = token
        return token
    }

    private func requestToken() async throws -> AccessToken {
        let startedAt = clock.now()
        var form: [(String, String)] = [("client_id", credentials.clientID), ("scope", scope),
                                        ("grant_type", "client_credentials")]
        var secrets: [String] = []
        switch credentials.proof {
        case .clientSecret(let secret):
            form.append(("client_secret", secret))
            secrets.append(secret)
        case .certificate(let certificate):
            let assertion: String
            do {
                assertion = try ClientAssertion.make(certificate: certificate, clientID: credentials.clientID,
                                                     audience: tokenURL, now: clock.date(), jti: ids.uuid())
            } catch {
                throw TransportError.signInRefused(message: "cannot sign the client assertion with the key of \(certificate.path)")
            }
            form.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            form.append(("client_assertion", assertion))
            secrets.append(assertion)
        }
        let request = GraphHTTPRequest(
            method: .post, url: tokenURL,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                      "User-Agent": userAgent, "client-request-id": ids.uuid()],
            body: Array(FormFields.encode(form).utf8))

        let response: GraphHTTPResponse
        do {
            response = try await executor.execute(request)
        } catch let failure as GraphConnectionFailure {
            // Nothing reached Graph: whatever happened at the authority, the call can be made again.
            throw TransportError.transient(status: nil, retryAfter: nil, message: "sign-in at \(tokenURL): \(failure)")
        }
        let status = response.status
        guard status == 200 else {
            // an authority may echo what it was sent: the secret as given and as form-encoded
            let detail = GraphAnswer.ErrorBody(response.body, redacting: secrets + secrets.map { FormFields.escape($0) })
            let said = detail.summary ?? "no error description"
            logger.debug("sign-in failed", metadata: ["status": "\(status)", "error": "\(detail.code ?? "")"])
            switch status {
            case 429, 500..<600:
                throw TransportError.transient(status: status, retryAfter: response.header("Retry-After"),
                                               message: "sign-in: HTTP \(status): \(said)")
            default:
                throw TransportError.signInRefused(message: "HTTP \(status) from \(tokenURL): \(said)")
            }
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let value = object["access_token"] as? String, !value.isEmpty else {
            throw TransportError.signInRefused(message: "the answer of \(tokenURL) holds no access_token")
        }
        let lifetime: Double = switch object["expires_in"] {
        case let number as NSNumber: number.doubleValue
        case let text as String: Double(text) ?? Self.defaultLifetime
        default: Self.defaultLifetime
        }
        logger.debug("signed in", metadata: ["expires_in_s": "\(Int(lifetime))"])
        return AccessToken(value: value, obtainedAt: startedAt, expiresAt: startedAt + max(0, lifetime))
    }
}

/// One sign-in in flight, shared by the callers that need a token meanwhile. A caller that
/// is cancelled (a stop, `--max-run-time`) returns at once, whatever the request is doing;
/// the sign-in itself is cancelled once every caller waiting for it is: a sign-in that
/// hangs must not hold the command, and one caller giving up must not fail the others.
final class SharedSignIn: Sendable {
    private let task: Task<AccessToken, any Error>
    private let waiting = Mutex(0)

    init(_ task: Task<AccessToken, any Error>) { self.task = task }

    func value() async throws -> AccessToken {
        waiting.withLock { $0 += 1 }
        let waiter = Waiter()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.set(continuation)
                Task { [task] in waiter.resume(with: await task.result) }
                if Task.isCancelled { waiter.resume(with: .failure(CancellationError())) }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
            let nobodyLeft = waiting.withLock { count -> Bool in
                count -= 1
                return count == 0
            }
            if nobodyLeft { task.cancel() }
        }
    }

    /// One caller's continuation, resumed once: by the sign-in's end or by the caller's cancellation.
    private final class Waiter: Sendable {
        private let continuation = Mutex<CheckedContinuation<AccessToken, any Error>?>(nil)

        func set(_ continuation: CheckedContinuation<AccessToken, any Error>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume(with result: Result<AccessToken, any Error>) {
            continuation.withLock { $0.take() }?.resume(with: result)
        }
    }
}
