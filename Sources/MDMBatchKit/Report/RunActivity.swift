import Foundation

/// How a run's dispatch went over time: completions and calls in flight per time bucket
/// (at most 120 buckets, however long the run), and a latency histogram.
public struct RunActivity: Sendable, Equatable {
    public var bucketSeconds = 1.0
    /// Bucket start, seconds since the first send.
    public var bucketStarts: [Double] = []
    public var completions: [Double] = []
    /// Calls out (sent, no outcome yet) on average over each bucket.
    public var inFlight: [Double] = []
    public var latencyEdges: [Double] = []
    public var latencyBins: [Int] = []

    /// Two passes over the run's spans: the window first, then each span into its buckets as
    /// it streams; memory stays flat however many elements the run has.
    public static func of(_ runID: String, _ store: StoreReader) throws -> RunActivity {
        var activity = RunActivity()
        guard let window = try store.dispatchWindow(of: runID) else { return activity }
        let origin = window.start
        let length = max(window.end - origin, 0.001)
        let buckets = min(120, max(30, Int(length.rounded(.up))))  // 1 s each, 30 to 120 of them
        activity.bucketSeconds = length / Double(buckets)
        activity.bucketStarts = (0..<buckets).map { Double($0) * activity.bucketSeconds }
        activity.completions = Array(repeating: 0, count: buckets)
        activity.inFlight = Array(repeating: 0, count: buckets)
        let bins = 20
        let binWidth = max(window.maxSucceededLatencyMs ?? 0, 1) / Double(bins)
        if window.maxSucceededLatencyMs != nil {
            activity.latencyEdges = (0...bins).map { Double($0) * binWidth }
            activity.latencyBins = Array(repeating: 0, count: bins)
        }
        try store.dispatchSpans(of: runID) { start, outcome, state, latency in
            let end = max(outcome, start)
            let startIndex = min(buckets - 1, Int((start - origin) / activity.bucketSeconds))
            let endIndex = min(buckets - 1, Int((end - origin) / activity.bucketSeconds))
            activity.completions[endIndex] += 1
            for index in startIndex...endIndex {
                let bucketStart = origin + Double(index) * activity.bucketSeconds
                let overlap = min(end, bucketStart + activity.bucketSeconds) - max(start, bucketStart)
                activity.inFlight[index] += max(0, overlap) / activity.bucketSeconds
            }
            if state == .succeeded, let latency, !activity.latencyBins.isEmpty {
                activity.latencyBins[min(bins - 1, Int(latency / binWidth))] += 1
            }
        }
        return activity
    }
}
