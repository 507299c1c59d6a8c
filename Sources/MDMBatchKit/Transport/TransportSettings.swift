import Foundation
import Logging

/// Which service a run talks to, and how: recorded with the run, so that a resumed run
/// and `confirm` use the run's own transport and URLs.
public struct TransportSettings: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The built-in stand-in for the service.
        case mock
        /// Microsoft Intune through Microsoft Graph.
        case graph
    }

    public var kind: Kind = .mock
    // Graph
    public var graphURL: String = GraphSettings.defaultGraphURL
    public var authorityURL: String = GraphSettings.defaultAuthorityURL
    /// All requests, reads and writes together (`--read-rate`); nil: unpaced.
    public var readRate: RatePolicy? = GraphSettings.defaultRequestRate
    public var readTimeout: Double = 30
    // the mock
    public var mockLatencyMs: Double = 0
    public var mockTransientRate: Double = 0
    public var mockPermanentRate: Double = 0
    public var mockSeed: UInt64 = 1
    /// Beyond this rate the mock answers 429 (`--mock-throttle`).
    public var mockThrottle: RatePolicy?
    public var mockJournal: String?
    public var mockMemory: String?
    public var mockDeviceDelayMs: Double = 1000
    public var mockDeviceFailureRate: Double = 0
    public var mockSecretLifetime: Double = 7 * 86_400

    public init() {}

    enum CodingKeys: String, CodingKey {
        case kind, graphURL = "graph_url", authorityURL = "authority_url", readRate = "read_rate", readTimeout = "read_timeout_s"
        case mockLatencyMs = "mock_latency_ms", mockTransientRate = "mock_transient_rate"
        case mockPermanentRate = "mock_permanent_rate", mockSeed = "mock_seed", mockThrottle = "mock_throttle"
        case mockJournal = "mock_journal", mockMemory = "mock_memory", mockDeviceDelayMs = "mock_device_delay_ms"
        case mockDeviceFailureRate = "mock_device_failure_rate", mockSecretLifetime = "mock_secret_lifetime_s"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TransportSettings()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        graphURL = try c.decodeIfPresent(String.self, forKey: .graphURL) ?? d.graphURL
        authorityURL = try c.decodeIfPresent(String.self, forKey: .authorityURL) ?? d.authorityURL
        readRate = try c.decodeIfPresent(RatePolicy.self, forKey: .readRate) ?? d.readRate
        readTimeout = try c.decodeIfPresent(Double.self, forKey: .readTimeout) ?? d.readTimeout
        mockLatencyMs = try c.decodeIfPresent(Double.self, forKey: .mockLatencyMs) ?? d.mockLatencyMs
        mockTransientRate = try c.decodeIfPresent(Double.self, forKey: .mockTransientRate) ?? d.mockTransientRate
        mockPermanentRate = try c.decodeIfPresent(Double.self, forKey: .mockPermanentRate) ?? d.mockPermanentRate
        mockSeed = try c.decodeIfPresent(UInt64.self, forKey: .mockSeed) ?? d.mockSeed
        mockThrottle = try c.decodeIfPresent(RatePolicy.self, forKey: .mockThrottle)
        mockJournal = try c.decodeIfPresent(String.self, forKey: .mockJournal)
        mockMemory = try c.decodeIfPresent(String.self, forKey: .mockMemory)
        mockDeviceDelayMs = try c.decodeIfPresent(Double.self, forKey: .mockDeviceDelayMs) ?? d.mockDeviceDelayMs
        mockDeviceFailureRate = try c.decodeIfPresent(Double.self, forKey: .mockDeviceFailureRate) ?? d.mockDeviceFailureRate
        mockSecretLifetime = try c.decodeIfPresent(Double.self, forKey: .mockSecretLifetime) ?? d.mockSecretLifetime
    }

    /// The settings as JSON, for the run's record.
    var json: JSONValue {
        let data = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
        return (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .object([:])
    }

    init(json: JSONValue) throws {
        self = try JSONDecoder().decode(TransportSettings.self, from: Data(json.canonicalText.utf8))
    }

    /// The service secrets come from during a run: the mock hands them out with its
    /// answers; Graph only through `deviceActionResults` (`confirm`).
    public var secretsComeWithAnswers: Bool { kind == .mock }
}

/// The transport flags as given on a command line: nil where a flag was left out, so that
/// a resumed run takes the value it recorded, and only an explicit different one is refused.
public struct TransportRequest: Sendable, Equatable {
    public var kind: TransportSettings.Kind?
    public var graphURL: String?
    public var authorityURL: String?
    public var readRate: RatePolicy??
    public var readTimeout: Double?
    public var mockJournal: String?
    public var mockMemory: String?
    /// The Graph flags given (`--graph-url`, `--credentials`, …): without Graph they would
    /// be silently ignored, so they need `--transport graph`, or a resumed run that recorded it.
    public var graphFlags: [String] = []
    /// The mock's behaviour (latency, faults, seed, …): a test knob, taken as given.
    public var mock: @Sendable (inout TransportSettings) -> Void = { _ in }

    public init() {}

    public static func == (a: TransportRequest, b: TransportRequest) -> Bool {
        a.kind == b.kind && a.graphURL == b.graphURL && a.authorityURL == b.authorityURL && a.readRate == b.readRate
            && a.readTimeout == b.readTimeout && a.mockJournal == b.mockJournal && a.mockMemory == b.mockMemory
            && a.graphFlags == b.graphFlags
    }

    /// The settings of a new run: what was asked, defaults elsewhere; the mock's files
    /// beside the database.
    public func settings(databasePath: String?) -> TransportSettings {
        var settings = TransportSettings()
        apply(to: &settings)
        let base = databasePath ?? "mdmbatch.sqlite"
        if settings.kind == .mock {
            settings.mockJournal = mockJournal ?? base + ".mock-journal.jsonl"
            settings.mockMemory = mockMemory ?? base + ".mock-service.jsonl"
        }
        return settings
    }

    /// The settings of a resumed run: its own, where this request says nothing; an
    /// explicit different service or URL is refused (the run would talk to another service).
    public func settings(resuming recorded: TransportSettings, runID: String) throws -> TransportSettings {
        // a URL differs when it names another endpoint, not for a trailing slash or the case of its host
        let url = { (text: String?) in text.map { (try? GraphEndpoint(role: "URL", $0).text) ?? $0 } }
        let identity: [(flag: String, asked: String?, recorded: String?, same: Bool)] = [
            ("--transport", kind?.rawValue, recorded.kind.rawValue, kind == recorded.kind),
            ("--graph-url", graphURL, recorded.graphURL, url(graphURL) == url(recorded.graphURL)),
            ("--authority-url", authorityURL, recorded.authorityURL, url(authorityURL) == url(recorded.authorityURL)),
            ("--mock-journal", mockJournal, recorded.mockJournal, mockJournal == recorded.mockJournal),
            ("--mock-memory", mockMemory, recorded.mockMemory, mockMemory == recorded.mockMemory),
        ]
        for (flag, asked, was, same) in identity where asked != nil && !same {
            throw TransportSettingsError.differs(runID: runID, flag: flag, recorded: was ?? "(none)", asked: asked!)
        }
        var settings = recorded
        apply(to: &settings)
        try checkGraphFlags(settings, resumed: runID)
        return settings
    }

    /// Graph flags are for Graph: refused (64) when `settings` (a new run's, or the resumed
    /// run's) do not talk to it.
    public func checkGraphFlags(_ settings: TransportSettings, resumed runID: String? = nil) throws {
        guard settings.kind != .graph, let flag = graphFlags.first else { return }
        throw TransportSettingsError.graphFlagWithoutGraph(flag: flag, resumed: runID)
    }

    private func apply(to settings: inout TransportSettings) {
        if let kind { settings.kind = kind }
        if let graphURL { settings.graphURL = graphURL }
        if let authorityURL { settings.authorityURL = authorityURL }
        if let readRate { settings.readRate = readRate }
        if let readTimeout { settings.readTimeout = readTimeout }
        mock(&settings)
    }
}

public enum TransportSettingsError: LocalizedError, ClassifiedError, Equatable {
    case differs(runID: String, flag: String, recorded: String, asked: String)
    /// A Graph flag on a run that does not talk to Graph (the resumed run's id, if any).
    case graphFlagWithoutGraph(flag: String, resumed: String?)

    public var errorDescription: String? {
        switch self {
        case .differs(let runID, let flag, let recorded, let asked):
            "run \(runID) of this batch was started with \(flag) \(recorded): it resumes with it, not \(asked) "
                + "(leave \(flag) out, or pass \(recorded))"
        case .graphFlagWithoutGraph(let flag, let runID?):
            "\(flag) is a Graph option, and run \(runID) of this batch, which this resumes, uses the mock: leave \(flag) out"
        case .graphFlagWithoutGraph(let flag, nil):
            "\(flag) is a Graph option: pass --transport graph to send to Graph (without it this run would go to the mock)"
        }
    }

    public var failureKind: FailureKind { .usage }
}

/// Where a run's transport comes from: checked before anything is written, made (and,
/// for Graph, signed in) before anything is sent.
public protocol TransportProvider: Sendable {
    /// Checks the settings without any network: URLs, credentials (78 when wrong or missing).
    func check(_ settings: TransportSettings) throws
    func make(_ settings: TransportSettings) async throws -> any DeviceActionTransport
}

/// A provider that hands out one transport, whatever the settings (tests).
public struct FixedTransport: TransportProvider {
    public let transport: any DeviceActionTransport
    public init(_ transport: any DeviceActionTransport) { self.transport = transport }
    public func check(_ settings: TransportSettings) throws {}
    public func make(_ settings: TransportSettings) async throws -> any DeviceActionTransport { transport }
}

/// Makes the transport that settings describe. Graph credentials come from `environment`
/// (the caller's, passed in) or `credentialsFile`; the sign-in is made at once, so that a
/// refused one (77) stops the command before anything is sent.
public struct TransportFactory: TransportProvider {
    public var environment: [String: String]
    public var credentialsFile: String?
    /// The run's concurrency: the size of the HTTP connection pool.
    public var concurrency: Int
    public var clock: any EngineClock
    /// The Graph session's own request ids.
    public var ids: any IdentifierSource
    public var logger: Logger

    public init(environment: [String: String], credentialsFile: String?, concurrency: Int, clock: any EngineClock,
                ids: any IdentifierSource = SystemIdentifiers(), logger: Logger) {
        self.environment = environment
        self.credentialsFile = credentialsFile
        self.concurrency = concurrency
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    public func make(_ settings: TransportSettings) async throws -> any DeviceActionTransport {
        switch settings.kind {
        case .mock:
            return try MockTransport(configuration: MockTransportConfiguration(
                latencyMs: settings.mockLatencyMs, transientRate: settings.mockTransientRate,
                permanentRate: settings.mockPermanentRate, seed: settings.mockSeed,
                throttle: settings.mockThrottle, journalPath: settings.mockJournal,
                memoryPath: settings.mockMemory, deviceDelayMs: settings.mockDeviceDelayMs,
                deviceFailureRate: settings.mockDeviceFailureRate, secretLifetime: settings.mockSecretLifetime), clock: clock)
        case .graph:
            let session = try await graphSession(settings)
            return GraphTransport(session: session)
        }
    }

    public func check(_ settings: TransportSettings) throws {
        guard settings.kind == .graph else { return }
        _ = try graphSettings(settings)
        _ = try GraphCredentials.load(environment: environment, file: credentialsFile)
    }

    func graphSettings(_ settings: TransportSettings, betaURL: String? = nil) throws -> GraphSettings {
        try GraphSettings(graphURL: settings.graphURL, authorityURL: settings.authorityURL, betaURL: betaURL,
                          version: MDMBatchVersion.current, readTimeout: settings.readTimeout,
                          requestTimeout: max(120, settings.readTimeout * 4), poolSize: max(1, concurrency),
                          requestRate: settings.readRate)
    }

    /// A signed-in Graph session (for a transport, or to read inventories).
    public func graphSession(_ settings: TransportSettings, betaURL: String? = nil) async throws -> GraphSession {
        let graph = try graphSettings(settings, betaURL: betaURL)
        let credentials = try GraphCredentials.load(environment: environment, file: credentialsFile)
        let session = GraphSession.live(settings: graph, credentials: credentials, clock: clock, ids: ids, logger: logger)
        do {
            try await signIn(session)
        } catch {
            await session.shutdown()
            throw error
        }
        return session
    }

    /// Attempts at the first sign-in, the first included.
    static let signInAttempts = 4

    /// Signs in; an authority that answers 429 or 5xx, or no whole answer, is asked again
    /// like any transient answer: after 1, 2, 4 s, or its Retry-After (at most a minute).
    private func signIn(_ session: GraphSession) async throws {
        var attempt = 1
        while true {
            do {
                return try await session.signIn()
            } catch TransportError.transient(let status, let retryAfter, _) where attempt < Self.signInAttempts {
                let asked = retryAfter.flatMap { RetryAfter.seconds($0, now: clock.date()) } ?? 0
                let wait = min(60, max(pow(2, Double(attempt - 1)), asked))
                logger.warning("the sign-in failed for now: trying again", metadata: [
                    "status": "\(status.map(String.init) ?? "no answer")", "attempt": "\(attempt)", "wait_s": "\(wait)",
                ])
                try await clock.sleep(seconds: wait)
                attempt += 1
            }
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
