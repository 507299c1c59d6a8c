import Foundation
import GRDB
import Logging
@testable import MDMBatchKit

/// What the Runner's tests start from (and the audit, logging and service tests that run a
/// batch): five devices (an iPhone, Android 6 and 13, a Mac, a Windows Phone) in an
/// in-memory database, a Runner over a given transport with test options, and the states
/// its dispatches reached.
enum RunnerFixtures {
    static let devices = """
        device_id,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set
        d-ios,iOS,17,mdm,a@c.com,a@c.com,true
        d-and6,Android,6.0.1,mdm,a@c.com,a@c.com,true
        d-and13,Android,13,mdm,a@c.com,a@c.com,true
        d-mac,macOS,14,mdm,a@c.com,a@c.com,true
        d-wp,Windows Phone,8.1,eas,a@c.com,a@c.com,true

        """

    static func fleet() throws -> AppDatabase {
        let database = try AppDatabase.inMemory()
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: try TestSupport.file("d.csv", devices), actor: "t"),
                                      into: database)
        return database
    }

    static func runner(_ database: AppDatabase, _ transport: any DeviceActionTransport, _ clock: ImmediateClock,
                       maxAttempts: Int = 5, rate: RatePolicy? = nil, stop: StopSignal = StopSignal(),
                       concurrency: Int = 4, retryUnknown: Bool = false, rules: RuleSet? = nil, breakerThreshold: Int = 5) -> Runner {
        var options = RunOptions(actor: "tester")
        options.breakerThreshold = breakerThreshold
        options.retryUnknown = retryUnknown
        options.rules = rules
        options.rate = rate
        options.retry = RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.5, maxDelay: 8)
        options.concurrency = concurrency
        return Runner(database: database, transports: FixedTransport(transport), options: options,
                      dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 7)),
                      logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, stop: stop)
    }

    /// Each dispatch's state, keyed `device/action`.
    static func states(_ database: AppDatabase) throws -> [String: String] {
        try database.inspect { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT device_id, action, state FROM dispatches WHERE device_id IS NOT NULL")
                .map { ("\($0["device_id"] as String)/\($0["action"] as String)", $0["state"] as String) })
        }
    }
}
