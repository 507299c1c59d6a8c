import Foundation

/// One page of a Graph collection: where it came from and its body as received (the
/// importer reads its `value` array).
public struct GraphPage: Sendable, Equatable {
    public let url: String
    public let body: [UInt8]
    /// 1 for the first page.
    public let number: Int
    /// Elements in its `value` array.
    public let count: Int
}

/// Which Graph endpoint a collection is read from.
public enum GraphAPIVersion: String, Sendable {
    case v1 = "v1.0", beta
}

/// Why reading a collection stopped.
public enum GraphPagerError: LocalizedError, ClassifiedError, Equatable {
    /// A page kept failing transiently (429, 5xx, timeouts) until the attempts ran out (75).
    case gaveUp(url: String, attempts: Int, last: TransportError)
    /// A page that is not a JSON object with a `value` array, or leads elsewhere (65).
    case malformedPage(url: String, offset: Int?, reason: String)
    /// The service refused: sign-in or permission (77); any other refusal (a 400 or 404 for
    /// the collection: a wrong URL or field) is configuration (78).
    case refused(url: String, TransportError)
    /// `--max-run-time` passed while a page was still asked for (75).
    case outOfTime(url: String, last: TransportError?)

    public var errorDescription: String? {
        switch self {
        case .gaveUp(let url, let attempts, let last):
            "\(url): gave up after \(attempts) attempts: \(last)"
        case .malformedPage(let url, let offset, let reason):
            "\(url)" + (offset.map { ": offset \($0)" } ?? "") + ": \(reason)"
        case .refused(let url, let error):
            "\(url): \(error)"
        case .outOfTime(let url, let last):
            "\(url): --max-run-time passed while reading it" + (last.map { " (last answer: \($0))" } ?? "")
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .gaveUp, .outOfTime: .temporary
        case .malformedPage: .dataError
        case .refused(_, let error): error.stopsRun ? .noPermission : .configuration
        }
    }
}

/// How a collection's pages are asked again: the run's policy (`RetryDecision.afterRead`: a
/// 429 never counts and waits as the service says, or with full jitter up to the window), the
/// circuit breaker (which spaces the attempts out during an outage), and `--max-run-time`.
public struct PageReadPolicy: Sendable {
    public var retry: RetryPolicy
    /// A clock time after which no page is asked for again.
    public var deadline: Double?
    public var breaker: CircuitBreaker?

    public init(retry: RetryPolicy = RetryPolicy(), deadline: Double? = nil, breaker: CircuitBreaker? = nil) {
        self.retry = retry
        self.deadline = deadline
        self.breaker = breaker
    }
}

/// Reads a Graph collection (`/deviceManagement/managedDevices`, `/users`) page after page,
/// following `@odata.nextLink` whole until there is none. Each page is paced by the session's
/// request limit; one that fails transiently is asked again after a capped, jittered backoff
/// that honours `Retry-After`.
///
///     for try await page in try GraphPager(session: session, path: "/users", select: ["userPrincipalName"],
///                                          top: 999, random: SharedRandom(seed: seed)) { … }
public struct GraphPager: AsyncSequence, Sendable {
    public typealias Element = GraphPage

    public let firstURL: String
    public let permission: String
    private let origin: String
    private let session: GraphSession
    private let policy: PageReadPolicy
    private let random: SharedRandom

    /// `select` names the fields (`$select`), `top` the page size asked for (`$top`; the
    /// service may give fewer). The beta endpoint needs `settings.betaURL`.
    public init(session: GraphSession, path: String, select: [String] = [], top: Int? = nil, api: GraphAPIVersion = .v1,
                permission: String? = nil, policy: PageReadPolicy = PageReadPolicy(), random: SharedRandom) throws {
        let base: String
        switch api {
        case .v1: base = session.settings.graphURL
        case .beta:
            guard let beta = session.settings.betaURL else {
                throw GraphConfigurationError.noBetaURL(graphURL: session.settings.graphURL)
            }
            base = beta
        }
        var query: [String] = []
        if !select.isEmpty { query.append("$select=" + select.map { FormFields.escape($0) }.joined(separator: ",")) }
        if let top { query.append("$top=\(top)") }
        firstURL = base + (path.hasPrefix("/") ? path : "/" + path) + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        origin = GraphPager.origin(of: base) ?? base
        self.permission = permission ?? GraphPermission.toRead(path: path).rawValue
        self.session = session
        self.policy = policy
        self.random = random
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(pager: self, next: firstURL)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let pager: GraphPager
        var next: String?
        var number = 0

        public mutating func next() async throws -> GraphPage? {
            guard let url = next else { return nil }
            number += 1
            let body = try await pager.fetch(url)
            let scanned: GraphPageScanner.Page
            do {
                scanned = try GraphPageScanner.scan(body)
            } catch {
                next = nil
                throw GraphPagerError.malformedPage(url: url, offset: error.offset, reason: error.message)
            }
            if let link = scanned.nextLink {
                // The link is followed whole, with our token: it must stay on the same service.
                guard GraphPager.origin(of: link) == pager.origin else {
                    next = nil
                    throw GraphPagerError.malformedPage(url: url, offset: nil,
                                                        reason: "@odata.nextLink \(link) leads away from \(pager.origin)")
                }
                guard link != url else {
                    next = nil
                    throw GraphPagerError.malformedPage(url: url, offset: nil, reason: "@odata.nextLink points to the same page")
                }
            }
            next = scanned.nextLink
            return GraphPage(url: url, body: body, number: number, count: scanned.count)
        }
    }

    /// One page's body, asked again as `RetryDecision.afterRead` says.
    func fetch(_ url: String) async throws -> [UInt8] {
        let clock = session.clock
        var counted = 0
        var throttledInARow = 0
        var last: TransportError?
        func outOfTime() -> Bool { policy.deadline.map { clock.now() >= $0 } ?? false }
        while true {
            if outOfTime() { throw GraphPagerError.outOfTime(url: url, last: last) }
            var probe = false
            if let breaker = policy.breaker {
                guard let permitted = try await breaker.permit(unless: outOfTime) else {
                    throw GraphPagerError.outOfTime(url: url, last: last)
                }
                probe = permitted
            }
            let failure: TransportError
            do {
                let response = try await session.send(.get, url: url, requestID: session.ids.uuid())
                if let error = GraphAnswer.error(for: response, permission: permission) {
                    failure = error
                } else {
                    policy.breaker?.recordSuccess()
                    return response.body
                }
            } catch let error as TransportError {
                failure = error
            }
            last = failure
            if RetryDecision.tellsOfOutage(failure) {
                policy.breaker?.recordTransientFailure(probe: probe)
            } else {
                policy.breaker?.recordOtherOutcome()
            }
            if case .throttled = failure {
                throttledInARow += 1
                await session.limiter?.throttled()
            } else {
                throttledInARow = 0
                // a read acts on nothing: each failure counts, the breaker's probes too (the
                // breaker only spaces them out), so that an outage ends in --max-attempts
                counted += 1
            }
            let decision = RetryDecision.afterRead(failure, attempt: Swift.max(1, counted), throttledInARow: Swift.max(1, throttledInARow),
                                                   policy: policy.retry, now: clock.date(), jitter: random.uniform(1))
            let delay: Double
            switch decision {
            case .retry(let after), .throttled(let after): delay = after
            case .stopRun: throw GraphPagerError.refused(url: url, failure)
            case .fail, .ask:
                if case .permanent = failure { throw GraphPagerError.refused(url: url, failure) }
                throw GraphPagerError.gaveUp(url: url, attempts: counted, last: failure)
            }
            session.logger.debug("retrying a page", metadata: [
                "url": "\(url)", "attempts": "\(counted)", "delay_s": "\(delay)", "error": "\(failure)",
            ])
            let wake = clock.now() + delay
            if let deadline = policy.deadline, wake > deadline {
                try await clock.sleep(until: deadline)
                throw GraphPagerError.outOfTime(url: url, last: failure)
            }
            try await clock.sleep(until: wake)
        }
    }

    /// `scheme://host[:port]`, lowercased.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased() else { return nil }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return "\(scheme)://\(bare.contains(":") ? "[\(bare)]" : bare)" + (components.port.map { ":\($0)" } ?? "")
    }
}
