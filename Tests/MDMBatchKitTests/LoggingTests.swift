import Foundation
import InMemoryLogging
import Logging
import Testing
@testable import MDMBatchKit

@Suite("What the engine logs: constant messages, values in metadata")
struct LoggingTests {
    @Test("the circuit breaker says when it opens and when it closes, the pause in metadata")
    func breakerLogs() async throws {
        let handler = InMemoryLogHandler()
        let clock = ImmediateClock()
        let breaker = CircuitBreaker(threshold: 2, cooldown: 5, clock: clock, logger: Logger(label: "test") { _ in handler })
        breaker.recordTransientFailure()
        breaker.recordTransientFailure()
        let probe = try await breaker.permit()
        #expect(probe == true)
        breaker.recordSuccess()
        let entries = handler.entries
        #expect(entries.map(\.level) == [.warning, .notice])
        #expect(entries[0].message == "circuit open: the service fails; sending pauses")
        #expect(entries[0].metadata["pause_s"] == "5.0")
        #expect(entries[1].message == "circuit closed: the service answers again")
    }

    @Test("a run logs its start and end with the run, the batch and the counts as metadata, never in the message")
    func runLogs() async throws {
        let handler = InMemoryLogHandler()
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let mock = try MockTransport(configuration: MockTransportConfiguration(), clock: clock)
        var options = RunOptions(actor: "tester")
        options.rate = nil
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\nr2,reset_passcode,d-and6\n")
        let secrets = PasscodeBox()
        let outcome = try await Runner(database: database, transports: FixedTransport(mock), options: options,
                                       dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 1)),
                                       logger: Logger(label: "test") { _ in handler })
            .run(batchPath: batch, secrets: secrets)
        let started = try #require(handler.entries.first { $0.message == "run started" })
        #expect(started.metadata["run"] == "\(outcome.runID)")
        #expect(started.metadata["queued"] == "2" && started.metadata["rules"] == "intune-2017")
        #expect(started.metadata["batch"].map { "\($0)".hasSuffix("b.csv") } == true)
        #expect(handler.entries.contains { $0.message == "run finished" && $0.metadata["run"] == "\(outcome.runID)" })
        // no value was interpolated into a message: every message is one of the engine's fixed texts
        for entry in handler.entries {
            #expect(!"\(entry.message)".contains(outcome.runID) && !"\(entry.message)".contains("b.csv"), "\(entry.message)")
        }
        // and no secret was logged, in a message or in metadata
        let passcode = try #require(secrets.values.first?.secret.value)
        for entry in handler.entries {
            #expect(!"\(entry.message) \(entry.metadata)".contains(passcode))
        }
    }
}
