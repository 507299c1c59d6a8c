import Foundation
import Logging

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
    /// The registered tenant it signs in to; nil: the operator's own (`default`), as the
    /// environment or `credentialsFile` say.
    public var tenant: TenantRecord?

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
        _ = try credentials()
    }

    /// The same factory, signing in to `tenant`.
    public func signingIn(to tenant: TenantRecord?) -> TransportFactory {
        var factory = self
        factory.tenant = tenant
        return factory
    }

    /// The app's credentials. For a registered tenant: its own file (which must name its
    /// tenant id, 78 otherwise), else the app of the environment or of `credentialsFile`
    /// signing in to the registered tenant id (the registered id wins).
    func credentials() throws -> GraphCredentials {
        guard let tenant else { return try GraphCredentials.load(environment: environment, file: credentialsFile) }
        if let path = tenant.credentialsPath { return try GraphCredentials.load(file: path, tenantID: tenant.tenantID) }
        // one multi-tenant app (the environment's or --credentials'), consented in this tenant
        var environment = environment
        environment[GraphCredentials.tenantVariable] = tenant.tenantID
        let app = try GraphCredentials.load(environment: environment, file: credentialsFile)
        return try GraphCredentials(tenantID: tenant.tenantID, clientID: app.clientID, proof: app.proof,
                                    source: credentialsFile ?? "the environment")
    }

    /// The Graph settings, at the tenant's own endpoints when it registered them.
    func graphSettings(_ settings: TransportSettings, betaURL: String? = nil) throws -> GraphSettings {
        let endpoints = tenant?.endpoints
        return try GraphSettings(graphURL: endpoints?.graphURL ?? settings.graphURL,
                                 authorityURL: endpoints?.authorityURL ?? settings.authorityURL, betaURL: betaURL,
                                 version: MDMBatchVersion.current, readTimeout: settings.readTimeout,
                                 requestTimeout: max(120, settings.readTimeout * 4), poolSize: max(1, concurrency),
                                 requestRate: settings.readRate)
    }

    /// A signed-in Graph session (for a transport, or to read inventories).
    public func graphSession(_ settings: TransportSettings, betaURL: String? = nil) async throws -> GraphSession {
        let graph = try graphSettings(settings, betaURL: betaURL)
        let credentials = try credentials()
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
