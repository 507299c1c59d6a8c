import Foundation

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
