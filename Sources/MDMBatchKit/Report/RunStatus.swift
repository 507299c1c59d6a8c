import Foundation

/// One run and its counts, as `status` shows it; `status --json` encodes it: run_id, state,
/// batch, started_at, finished_at and the summary, the members of a run report's.
public struct RunStatus: Sendable, Encodable {
    public var run: RunRecord
    public var summary: RunSummary

    public init(run: RunRecord, summary: RunSummary) {
        self.run = run
        self.summary = summary
    }

    private enum CodingKeys: String, CodingKey {
        case runID = "run_id", state, batch, startedAt = "started_at", finishedAt = "finished_at", summary
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run.id, forKey: .runID)
        try container.encode(run.state, forKey: .state)
        try container.encode(run.batchName, forKey: .batch)
        try container.encode(run.startedAt, forKey: .startedAt)
        try container.encode(run.finishedAt, forKey: .finishedAt)  // null while it runs
        try container.encode(summary, forKey: .summary)
    }
}

/// The summary of a run report (`RunReportJSON.summary`): counts keyed by their names,
/// figures rounded to the millisecond, null where there is none.
extension RunSummary: Encodable {
    private enum CodingKeys: String, CodingKey {
        case requests, targets, accepted, rejected, byState = "by_state", byPlatform = "by_platform", byReason = "by_reason"
        case byDeviceState = "by_device_state", attempts, elapsed = "elapsed_s", throughput = "throughput_per_s"
        case latency = "latency_ms"
    }

    private enum LatencyKeys: String, CodingKey {
        case p50, p95, max
    }

    public func encode(to encoder: any Encoder) throws {
        func named<Key: RawRepresentable<String>>(_ table: [Key: Int]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, $0.value) })
        }
        func figure(_ value: Double?) -> Double? {
            guard let value, value.isFinite else { return nil }
            return (value * 1000).rounded() / 1000
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requests, forKey: .requests)
        try container.encode(targets, forKey: .targets)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(rejected, forKey: .rejected)
        try container.encode(named(byState), forKey: .byState)
        try container.encode(Dictionary(uniqueKeysWithValues: platformsByName.map { ($0.name, named($0.states)) }), forKey: .byPlatform)
        try container.encode(named(byReason), forKey: .byReason)
        try container.encode(Dictionary(uniqueKeysWithValues: byDeviceState.map { (Self.name(of: $0.key), $0.value) }),
                             forKey: .byDeviceState)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(figure(elapsedSeconds), forKey: .elapsed)
        try container.encode(figure(throughputPerSecond), forKey: .throughput)
        var latency = container.nestedContainer(keyedBy: LatencyKeys.self, forKey: .latency)
        try latency.encode(figure(latencyP50Ms), forKey: .p50)
        try latency.encode(figure(latencyP95Ms), forKey: .p95)
        try latency.encode(figure(latencyMaxMs), forKey: .max)
    }
}
