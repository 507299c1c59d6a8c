import Foundation
import Testing
@testable import MDMBatchKit

/// A run's recorded options are decoded once, into typed members (issue 24, item 1).
@Suite("Recorded run options")
struct RecordedRunOptionsTests {
    @Test("what a run records reads back as the same values, the rate a RatePolicy")
    func roundTrip() throws {
        var options = RunOptions(actor: "t")
        options.concurrency = 7
        options.rate = RatePolicy(count: 50, per: 10)
        options.retry.maxAttempts = 4
        options.settleAskedFor = 30
        var transport = TransportSettings()
        transport.kind = .graph
        transport.graphURL = "https://graph.example.com/v1.0"
        let recorded = RecordedRunOptions(text: options.recordedJSON(transport: transport))
        #expect(recorded == RecordedRunOptions(concurrency: 7, rate: RatePolicy(count: 50, per: 10), maxAttempts: 4, settle: 30,
                                               transport: transport))
    }

    @Test("rate off, an earlier round's options without settle or transport, and text that is no object")
    func olderAndOdd() {
        var options = RunOptions(actor: "t")
        options.rate = nil
        let off = RecordedRunOptions(text: options.recordedJSON(transport: TransportSettings()))
        #expect(off.rate == nil && off.settle == RunOptions.defaultSettle && off.transport == TransportSettings())
        let first = RecordedRunOptions(text: #"{"concurrency":16,"max_attempts":5,"rate":"100/20"}"#)
        #expect(first == RecordedRunOptions(concurrency: 16, rate: RatePolicy(count: 100, per: 20), maxAttempts: 5))
        #expect(RecordedRunOptions(text: "not json") == RecordedRunOptions())
    }
}
