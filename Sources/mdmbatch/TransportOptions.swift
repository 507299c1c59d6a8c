import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

extension TransportSettings.Kind: ExpressibleByArgument {}

/// Where Microsoft Graph is and how to sign in to it: for `run --transport graph`,
/// `confirm` and `import --from-graph`. Credentials never come from a flag: only the path of
/// a credentials file does.
struct GraphOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Graph's base URL (default https://graph.microsoft.com/v1.0; a national cloud's, or graph-sim's). "
                                            + "http:// only on loopback.", valueName: "url"))
    var graphURL: String?

    @Option(name: .long, help: ArgumentHelp("Where to sign in (default https://login.microsoftonline.com).", valueName: "url"))
    var authorityURL: String?

    @Option(name: .long, help: ArgumentHelp("Graph credentials: a JSON file (tenant_id, client_id, and client_secret or client_certificate) "
                                            + "with no group or other permission bits. Default: $MDMBATCH_TENANT_ID, $MDMBATCH_CLIENT_ID and "
                                            + "$MDMBATCH_CLIENT_SECRET or $MDMBATCH_CLIENT_CERTIFICATE.", valueName: "file"))
    var credentials: String?

    @Option(name: .long, help: ArgumentHelp("Graph: at most N requests of any kind in any SECONDS-long window, or off "
                                            + "(default 1800/20, under Intune's 2000 per 20 s per app).", valueName: "N/SECONDS"))
    var readRate: Pace?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Graph: seconds to wait for an answer (1 to 600, default 30).",
                                                                     valueName: "seconds"))
    var graphReadTimeout: Double?

    func validate() throws {
        if let graphReadTimeout, !(1...600).contains(graphReadTimeout) {
            throw ValidationError("--graph-read-timeout must be 1 to 600 seconds, not \(graphReadTimeout)")
        }
    }

    /// The Graph flags as given (nil where left out).
    func apply(to request: inout TransportRequest) {
        request.graphURL = graphURL
        request.authorityURL = authorityURL
        request.readRate = readRate.map { $0.policy }
        request.readTimeout = graphReadTimeout
        request.graphFlags = given
    }

    /// The names of the flags given.
    private var given: [String] {
        [("--graph-url", graphURL != nil), ("--authority-url", authorityURL != nil), ("--credentials", credentials != nil),
         ("--read-rate", readRate != nil), ("--graph-read-timeout", graphReadTimeout != nil)].filter(\.1).map(\.0)
    }

    /// Makes transports and Graph sessions; credentials from the environment or `--credentials`.
    func factory(concurrency: Int, clock: any EngineClock, logger: Logger) -> TransportFactory {
        TransportFactory(environment: GlobalOptions.environment, credentialsFile: credentials, concurrency: concurrency,
                         clock: clock, logger: logger)
    }
}

/// Which service to talk to and how: `--transport mock|graph`, Graph's options and the
/// mock's knobs. Left out on a resumed run, the run's own values are taken; an explicit
/// different service or URL is refused.
struct TransportOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("mock (the built-in stand-in, the default) or graph (Microsoft Intune through Microsoft Graph).",
                                            valueName: "kind"))
    var transport: TransportSettings.Kind?

    @OptionGroup var graph: GraphOptions

    @Option(name: .long, parsing: .unconditional, help: "Mock: mean latency of a call, in milliseconds (0 to 60000).")
    var mockLatencyMs: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "Mock: share of attempts failing transiently (0 to 1).")
    var mockTransientRate: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "Mock: share of attempts failing for good (0 to 1).")
    var mockPermanentRate: Double = 0

    @Option(name: .long, help: "Mock: seed of latency, faults and device delays (secrets come from the system's secure random generator).")
    var mockSeed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Mock: answer 429 beyond N calls in any SECONDS-long window.", valueName: "N/SECONDS"))
    var mockThrottle: Pace?

    @Option(name: .long, parsing: .unconditional, help: "Mock: mean time a device takes to carry out an action, in milliseconds.")
    var mockDeviceDelayMs: Double = 1000

    @Option(name: .long, parsing: .unconditional, help: "Mock: share of actions the device fails (0 to 1).")
    var mockDeviceFailureRate: Double = 0

    @Option(name: .long, help: ArgumentHelp("Mock: how long the service holds a secret (default 7d).", valueName: "duration"))
    var mockSecretLifetime: Span?

    @Option(name: .long, help: ArgumentHelp("Mock: the journal of every send and effect (default: DB.mock-journal.jsonl).", valueName: "file"))
    var mockJournal: String?

    @Option(name: .long, help: ArgumentHelp("Mock: what the service remembers, 0600 (default: DB.mock-service.jsonl).", valueName: "file"))
    var mockMemory: String?

    func validate() throws {
        if let mockThrottle, mockThrottle.policy == nil { throw ValidationError("--mock-throttle must be N/SECONDS (like 200/20), not off") }
        for (name, value) in [("--mock-transient-rate", mockTransientRate), ("--mock-permanent-rate", mockPermanentRate),
                              ("--mock-device-failure-rate", mockDeviceFailureRate)] {
            guard (0...1).contains(value) else { throw ValidationError("\(name) must be between 0 and 1, not \(value)") }
        }
        guard mockTransientRate + mockPermanentRate <= 1 else {
            throw ValidationError("--mock-transient-rate and --mock-permanent-rate add up to more than 1")
        }
        guard (0...60_000).contains(mockLatencyMs) else { throw ValidationError("--mock-latency-ms must be 0 to 60000, not \(mockLatencyMs)") }
        guard (0...3_600_000).contains(mockDeviceDelayMs) else {
            throw ValidationError("--mock-device-delay-ms must be 0 to 3600000, not \(mockDeviceDelayMs)")
        }
    }

    /// The flags as given (nil where left out).
    var request: TransportRequest {
        var request = TransportRequest()
        request.kind = transport
        graph.apply(to: &request)
        request.mockJournal = mockJournal
        request.mockMemory = mockMemory
        let (latency, transient, permanent, seed) = (mockLatencyMs, mockTransientRate, mockPermanentRate, mockSeed)
        let (throttle, delay, failures, lifetime) = (mockThrottle?.policy, mockDeviceDelayMs, mockDeviceFailureRate,
                                                     mockSecretLifetime?.seconds)
        request.mock = { settings in
            settings.mockLatencyMs = latency
            settings.mockTransientRate = transient
            settings.mockPermanentRate = permanent
            settings.mockSeed = seed
            settings.mockThrottle = throttle
            settings.mockDeviceDelayMs = delay
            settings.mockDeviceFailureRate = failures
            if let lifetime { settings.mockSecretLifetime = lifetime }
        }
        return request
    }

    func factory(concurrency: Int, clock: any EngineClock, logger: Logger) -> TransportFactory {
        graph.factory(concurrency: concurrency, clock: clock, logger: logger)
    }
}
