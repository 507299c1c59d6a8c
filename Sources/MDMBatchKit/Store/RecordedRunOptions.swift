import Foundation

/// What a run recorded of its options (`runs.options`), decoded once when its record is
/// read. Each member is read on its own: a run of an earlier round, which recorded fewer
/// or older ones, keeps those it has.
public struct RecordedRunOptions: Sendable, Equatable, Decodable {
    public var concurrency: Int?
    /// nil: `off`, or not recorded.
    public var rate: RatePolicy?
    public var maxAttempts: Int?
    /// `--settle`, in seconds (nil: a run before the third round).
    public var settle: Double?
    /// nil: a run of the first round (the mock, as it was then).
    public var transport: TransportSettings?

    enum CodingKeys: String, CodingKey {
        case concurrency, rate, transport
        case maxAttempts = "max_attempts"
        case settle = "settle_s"
    }

    public init(concurrency: Int? = nil, rate: RatePolicy? = nil, maxAttempts: Int? = nil, settle: Double? = nil,
                transport: TransportSettings? = nil) {
        self.concurrency = concurrency
        self.rate = rate
        self.maxAttempts = maxAttempts
        self.settle = settle
        self.transport = transport
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try? container.decodeIfPresent(Int.self, forKey: .concurrency)
        rate = try? container.decodeIfPresent(RatePolicy.self, forKey: .rate)
        maxAttempts = try? container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        settle = try? container.decodeIfPresent(Double.self, forKey: .settle)
        transport = try? container.decodeIfPresent(TransportSettings.self, forKey: .transport)
    }

    /// The recorded text decoded; nothing when it is not a JSON object.
    init(text: String) {
        self = (try? JSONDecoder().decode(Self.self, from: Data(text.utf8))) ?? Self()
    }
}
