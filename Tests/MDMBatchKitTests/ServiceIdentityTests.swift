import Foundation
import GRDB
import Logging
import MDMBatchMigrations
import Testing
@testable import MDMBatchKit

/// DESIGN.md, "Same service, same identity": `already_done`, `unknown_earlier` and
/// `unlock_pin_outstanding` count only earlier runs to the same service.
@Suite("Same service, same identity")
struct ServiceIdentityTests {
    static func graph(_ url: String = GraphSettings.defaultGraphURL) -> TransportSettings {
        var settings = TransportSettings()
        settings.kind = .graph
        settings.graphURL = url
        return settings
    }

    @Test("a Graph service is its URL's origin: scheme, host and port, lower-cased, without path, trailing slash or default port",
          arguments: [
              ("https://graph.microsoft.com/v1.0", "graph https://graph.microsoft.com"),
              ("https://graph.microsoft.com/v1.0/", "graph https://graph.microsoft.com"),
              ("HTTPS://Graph.Microsoft.COM:443/beta", "graph https://graph.microsoft.com"),
              ("https://graph.microsoft.us/v1.0", "graph https://graph.microsoft.us"),
              ("http://127.0.0.1:8080/v1.0", "graph http://127.0.0.1:8080"),
              ("http://localhost:80/", "graph http://localhost"),
          ])
    func origin(url: String, key: String) {
        let service = ServiceIdentity(Self.graph(url))
        #expect(service.key == key)
        #expect(ServiceIdentity(key: service.key) == service)
        #expect(service != .mock)
    }

    @Test("the mock is one service, whatever its knobs")
    func mock() {
        var settings = TransportSettings()
        settings.mockSeed = 99
        settings.graphURL = "https://elsewhere.example/v1.0"
        #expect(ServiceIdentity(settings) == .mock && ServiceIdentity.mock.key == "mock")
        #expect(ServiceIdentity(key: "mock") == .mock)
    }

    @Test("v0008 gives the runs recorded before it the service the Swift code gives their settings")
    func migrationBackfill() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("old.sqlite").path
        let recorded: [TransportSettings] = [TransportSettings(), Self.graph(), Self.graph("HTTPS://Graph.Microsoft.com:443/v1.0/"),
                                             Self.graph("http://127.0.0.1:8080/v1.0"), Self.graph("http://localhost:80")]
        do {  // a database of v0006 with runs of each transport
            let queue = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            for migration in Migrations.all.prefix(while: { $0.identifier < "v0008" }) {
                migrator.registerMigration(migration.identifier) { try $0.execute(sql: migration.sql) }
            }
            try migrator.migrate(queue)
            try queue.write { db in
                for (index, settings) in recorded.enumerated() {
                    let options = JSONValue.object(["transport": settings.json]).canonicalText
                    try db.execute(sql: """
                        INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets)
                        VALUES (?, 'b.csv', 'x', 'finished', 't', '2026-01-01T00:00:00Z', ?, 0, 0)
                        """, arguments: ["run-\(index)", options])
                }
                // a first-round run recorded no transport: the mock, as it was then
                try db.execute(sql: """
                    INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets)
                    VALUES ('run-old', 'b.csv', 'x', 'finished', 't', '2026-01-01T00:00:00Z', '{"concurrency": 16}', 0, 0)
                    """)
            }
            try queue.close()
        }
        let database = try AppDatabase.open(path: path, mode: .mustExist)
        defer { try? database.close() }
        let runs = try database.read { try $0.runs() }
        let services = Dictionary(uniqueKeysWithValues: runs.map { ($0.id, $0.service) })
        for (index, settings) in recorded.enumerated() {
            #expect(services["run-\(index)"] == ServiceIdentity(settings), "\(settings.kind) \(settings.graphURL)")
        }
        #expect(services["run-old"] == .mock)
    }

    // MARK: Runs

    static func runner(_ database: AppDatabase, _ transport: any DeviceActionTransport, _ clock: ImmediateClock,
                       service: TransportSettings.Kind?, graphURL: String? = nil, rules: RuleSet? = nil,
                       stop: StopSignal = StopSignal()) -> Runner {
        var options = RunOptions(actor: "tester")
        options.rules = rules
        options.rate = nil
        options.retry = RetryPolicy(maxAttempts: 1, baseDelay: 0.5, maxDelay: 8)
        options.transport.kind = service
        options.transport.graphURL = graphURL
        return Runner(database: database, transports: FixedTransport(transport), options: options,
                      dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 7)),
                      logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, stop: stop)
    }

    static func elements(_ database: AppDatabase, _ runID: String) throws -> [String] {
        try database.inspect {
            try Row.fetchAll($0, sql: "SELECT device_id, state, reason FROM dispatches WHERE run_id = ? ORDER BY seq", arguments: [runID])
        }.map { "\($0["device_id"] as String):\($0["state"] as String):\($0["reason"] as String? ?? "-")" }
    }

    static func locked(_ clock: ImmediateClock) -> ScriptedTransport {
        ScriptedTransport(clock: clock) { _ in .success(TransportReceipt(channel: "APNs", effect: "locked")) }
    }

    @Test("a rehearsal over the mock does not make the Graph run a no-op; a Graph run's successes count for the next Graph run only, a trailing slash naming the same service")
    func alreadyDoneSameServiceOnly() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\nr2,lock,d-and13\n")
        let rehearsal = Self.locked(clock)
        let first = try await Self.runner(database, rehearsal, clock, service: nil).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, first.runID) == ["d-ios:succeeded:-", "d-and13:succeeded:-"])

        let graph = Self.locked(clock)
        clock.advance(seconds: 60)
        let real = try await Self.runner(database, graph, clock, service: .graph, graphURL: "http://127.0.0.1:9/v1.0")
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, real.runID) == ["d-ios:succeeded:-", "d-and13:succeeded:-"])
        #expect(await graph.sent.count == 2, "the mock's successes do not count for Graph")

        clock.advance(seconds: 60)
        let again = try await Self.runner(database, graph, clock, service: .graph, graphURL: "HTTP://127.0.0.1:9/v1.0/")
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, again.runID) == ["d-ios:skipped:already_done", "d-and13:skipped:already_done"])
        #expect(await graph.sent.count == 2)

        // another Graph origin is another service
        clock.advance(seconds: 60)
        let other = try await Self.runner(database, graph, clock, service: .graph, graphURL: "http://127.0.0.1:10/v1.0")
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, other.runID) == ["d-ios:succeeded:-", "d-and13:succeeded:-"])

        // and the mock still sees only its own runs
        clock.advance(seconds: 60)
        let mockAgain = try await Self.runner(database, rehearsal, clock, service: .mock).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, mockAgain.runID) == ["d-ios:skipped:already_done", "d-and13:skipped:already_done"])
        #expect(await rehearsal.sent.count == 2)
    }

    @Test("unknown_earlier counts only the same service: an unknown outcome over the mock does not hold back the Graph run")
    func unknownEarlierSameServiceOnly() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nu1,reset_passcode,d-and6\n")
        let lost = ScriptedTransport(clock: clock, status: .unknown("cannot say")) { _ in .failure(.unknownOutcome(message: "timed out")) }
        let first = try await Self.runner(database, lost, clock, service: .mock).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, first.runID) == ["d-and6:unknown_outcome:-"])
        var items: [PlanItem] = []
        _ = try Planner.plan(batchPath: batch, database: database, rules: .default, service: .mock, now: 0) { items.append($0) }
        #expect(items.map(\.reason) == [.unknownEarlier])
        items = []
        _ = try Planner.plan(batchPath: batch, database: database, rules: .default, service: ServiceIdentity(Self.graph()), now: 0) {
            items.append($0)
        }
        #expect(items.map(\.reason) == [nil] && items[0].isSendable)
    }

    /// A first batch's Mac lock under intune-2025, over the mock, left in `state` by a run
    /// that did not finish; returns that run's id.
    static func macLockLeft(in state: DispatchState, _ database: AppDatabase, _ clock: ImmediateClock) async throws -> String {
        let stop = StopSignal()
        stop.request()
        let first = try TestSupport.file("lock1.csv", "request_id,action,target\nm1,lock,d-mac\n")
        let outcome = try await Self.runner(database, Self.locked(clock), clock, service: .mock, rules: .intune2025, stop: stop)
            .run(batchPath: first, secrets: PasscodeBox())
        #expect(outcome.interrupted)
        try database.write { store in
            try store.db.execute(sql: "UPDATE dispatches SET state = ? WHERE run_id = ? AND device_id = 'd-mac'",
                                 arguments: [state.rawValue, outcome.runID])
        }
        return outcome.runID
    }

    static func secondMacLock(_ database: AppDatabase, service: ServiceIdentity) throws -> PlanItem {
        var items: [PlanItem] = []
        let again = try TestSupport.file("lock2.csv", "request_id,action,target\nm2,lock,d-mac\n")
        _ = try Planner.plan(batchPath: again, database: database, rules: .intune2025, service: service, now: 0) { items.append($0) }
        return try #require(items.first)
    }

    @Test("unlock_pin_outstanding: a Mac lock still unfinished in another run, in any unfinished state, refuses a second one and names the run",
          arguments: PlanTables.unfinished)
    func unfinishedMacLock(state: DispatchState) async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let holder = try await Self.macLockLeft(in: state, database, clock)
        let second = try Self.secondMacLock(database, service: .mock)
        #expect(second.verdict.reason == .unlockPINOutstanding)
        #expect(second.verdict.detail?.contains(holder) == true, "\(second.verdict.detail ?? "")")
        #expect(second.verdict.detail?.contains(state.rawValue) == true, "\(second.verdict.detail ?? "")")
        // a lock that no run holds any more, or one of another service, does not
        #expect(try Self.secondMacLock(database, service: ServiceIdentity(Self.graph())).verdict.accepted)
    }

    @Test("unlock_pin_outstanding: the states counted as unfinished are every open state, and sending")
    func unfinishedStates() {
        #expect(Set(PlanTables.unfinished) == Set(DispatchState.open).union([.sending]))
        #expect(Set(PlanTables.unfinished).isDisjoint(with: [.succeeded, .failed, .unknownOutcome, .rejected, .skipped]))
    }

    @Test("unlock_pin_outstanding: a failed Mac lock of an unfinished run holds no PIN; the run being planned is not its own earlier run")
    func notUnfinished() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        _ = try await Self.macLockLeft(in: .failed, database, clock)
        #expect(try Self.secondMacLock(database, service: .mock).verdict.accepted)
        // one run with the Mac's lock queued: the run's own row is no earlier lock
        clock.advance(seconds: 60)
        let batch = try TestSupport.file("lock3.csv", "request_id,action,target\nm3,lock,d-mac\nm4,lock,d-ios\n")
        let run = try await Self.runner(database, Self.locked(clock), clock, service: .mock, rules: .intune2025)
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.elements(database, run.runID) == ["d-mac:succeeded:-", "d-ios:succeeded:-"])
    }

    @Test("Graph flags are refused without --transport graph, unless the resumed run recorded Graph")
    func graphFlagsNeedGraph() throws {
        var request = TransportRequest()
        request.graphURL = "https://graph.microsoft.com/v1.0"
        request.graphFlags = ["--graph-url"]
        #expect(throws: TransportSettingsError.graphFlagWithoutGraph(flag: "--graph-url", resumed: nil)) {
            try request.checkGraphFlags(request.settings(databasePath: nil))
        }
        #expect(throws: TransportSettingsError.graphFlagWithoutGraph(flag: "--graph-url", resumed: "run-1")) {
            try request.settings(resuming: TransportSettings(), runID: "run-1")
        }
        // the resumed run recorded Graph: its URL, with a trailing slash, is the same endpoint
        request.graphURL = GraphSettings.defaultGraphURL + "/"
        #expect(try request.settings(resuming: Self.graph(), runID: "run-1").kind == .graph)
        request.kind = .graph
        try request.checkGraphFlags(request.settings(databasePath: nil))
    }

    @Test("a new run of a batch says when its earlier run sent to another service or under another rule set")
    func earlierRunDiffers() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\n")
        let options = { (kind: TransportSettings.Kind?, rules: RuleSet?) -> RunOptions in
            var options = RunOptions(actor: "tester")
            options.transport.kind = kind
            options.rules = rules
            return options
        }
        func start(_ kind: TransportSettings.Kind?, _ rules: RuleSet? = nil) async throws -> RunStart {
            clock.advance(seconds: 60)
            let start = try RunStart.begin(batchPath: batch, database: database, options: options(kind, rules),
                                           dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 7)),
                                           secretsDeliverable: true)
            try database.write { try $0.setRunState(runID: start.runID, .finished, finishedAt: clock.date()) }
            return start
        }
        let graph = try await start(.graph)
        #expect(graph.earlierDifferingNotice == nil, "the first run of a batch")
        let mock = try await start(nil)
        let notice = try #require(mock.earlierDifferingNotice)
        #expect(notice.contains(graph.runID) && notice.contains("Graph at https://graph.microsoft.com") && notice.contains("the mock"))
        #expect(notice.contains("--transport graph"), "\(notice)")
        #expect(try await start(nil).earlierDifferingNotice == nil, "the same service and rules as the run before")
        let rules = try await start(nil, .intune2025)
        #expect(rules.earlierDifferingNotice?.contains("intune-2017") == true && rules.earlierDifferingNotice?.contains("intune-2025") == true)
    }
}
