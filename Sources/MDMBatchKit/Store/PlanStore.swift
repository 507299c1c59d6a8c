import Foundation
import GRDB

/// The temporary tables of a plan, on the connection of the caller (inside or outside a
/// transaction): the batch's requests, and the devices each one's target matched. Target
/// resolution is a few set-based statements, not a query per request. Nothing is written
/// to the database file.
public struct PlanTables {
    private let db: Database

    init(_ writer: StoreWriter) throws {
        db = writer.db
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.plan_requests;
            DROP TABLE IF EXISTS temp.plan_matches;
            CREATE TEMP TABLE plan_requests (
                line INTEGER PRIMARY KEY, request_id TEXT, action TEXT, action_text TEXT NOT NULL, target TEXT NOT NULL,
                target_type TEXT, valid INTEGER NOT NULL, justification TEXT, requested_by TEXT, ticket TEXT);
            CREATE UNIQUE INDEX temp.plan_requests_id ON plan_requests(request_id) WHERE request_id IS NOT NULL;
            CREATE TEMP TABLE plan_matches (
                line INTEGER NOT NULL, device_id TEXT NOT NULL, via TEXT NOT NULL, PRIMARY KEY (line, device_id)) WITHOUT ROWID;
            """)
    }

    /// Drops the tables.
    func drop() throws {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.plan_requests; DROP TABLE IF EXISTS temp.plan_matches")
    }

    /// A request_id that names two requests of one batch.
    struct RepeatedRequestID: Error {
        var requestID: String
        var line: Int
        var column: Int
        var firstLine: Int
    }

    /// Loads the requests `read` hands to its callback, all or none; a request_id seen
    /// twice throws `RepeatedRequestID`.
    func load<T>(_ read: ((BatchRequest) throws -> Void) throws -> T) throws -> T {
        let earlier = try db.makeStatement(sql: "SELECT line FROM temp.plan_requests WHERE request_id = ?")
        let insert = try RawStatement(db, sql: """
            INSERT INTO temp.plan_requests (line, request_id, action, action_text, target, target_type, valid,
                                            justification, requested_by, ticket)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var result: T?
        try db.inSavepoint {
            result = try read { request in
                let type = (try? request.targetType.get()) ?? nil
                insert.bind(1, Int64(request.line))
                insert.bind(2, request.requestID)
                insert.bind(3, request.action?.rawValue)
                insert.bind(4, request.actionText)
                insert.bind(5, request.target)
                insert.bind(6, type?.rawValue)
                insert.bind(7, Int64(request.isValid ? 1 : 0))
                insert.bind(8, request.justification)
                insert.bind(9, request.requestedBy)
                insert.bind(10, request.ticket)
                do {
                    try insert.execute(db)
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                    let first = try Int.fetchOne(earlier, arguments: [request.requestID]) ?? 0
                    throw RepeatedRequestID(requestID: request.requestID ?? "", line: request.line,
                                            column: request.requestIDColumn, firstLine: first)
                }
            }
            return .commit
        }
        return result!
    }

    /// Check 2: device id, then serial, then IMEI, then primary user (or only the given
    /// target type), each statement taking only the requests still unmatched. A target
    /// resolves inside the operator's own tenant (0): a batch names no other tenant yet,
    /// and a customer tenant's inventory is never reached from it.
    func resolveTargets() throws {
        let unmatched = "NOT EXISTS (SELECT 1 FROM temp.plan_matches m WHERE m.line = p.line)"
        try db.inSavepoint {
            try db.execute(sql: """
                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'device_id' FROM temp.plan_requests p JOIN main.devices d ON d.tenant = 0 AND d.device_id = p.target
                WHERE p.valid AND (p.target_type IS NULL OR p.target_type = 'device_id');

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'serial' FROM temp.plan_requests p JOIN main.devices d ON d.tenant = 0 AND d.serial_number = p.target
                WHERE p.valid AND (p.target_type = 'serial' OR (p.target_type IS NULL AND \(unmatched)));

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'imei' FROM temp.plan_requests p JOIN main.devices d ON d.tenant = 0 AND d.imei = p.target
                WHERE p.valid AND (p.target_type = 'imei' OR (p.target_type IS NULL AND \(unmatched)));

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'user' FROM temp.plan_requests p JOIN main.devices d ON d.tenant = 0 AND d.primary_user_upn = p.target
                WHERE p.valid AND (p.target_type = 'user' OR (p.target_type IS NULL AND \(unmatched)));
                """)
            return .commit
        }
    }

    /// Every request with its matched devices (one row per device, or one row without a
    /// device), ordered by line then device id. Only earlier runs of `service` count (DESIGN.md,
    /// "Same service, same identity"); `batchSHA256` finds the earlier runs of the same batch,
    /// for requests without a request_id. With `macLocks`, a lock learns of the device's
    /// lock in another run (not `currentRun`) that may have made an unlock PIN: one still
    /// unfinished, else the latest that ended `succeeded` or `unknown_outcome` (the rules
    /// decide whether its PIN may be unused). With `rawOS`, the device's OS string as
    /// imported (today's rules tell platforms from it). Facts only: the verdicts are the rules'.
    func forEachResolved(batchSHA256: String, service: ServiceIdentity, currentRun: String?, macLocks: Bool, rawOS: Bool,
                         _ each: (ResolvedRequestRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: Self.resultSQL, arguments: [
            "sha": batchSHA256, "service": service.key, "run": currentRun, "mac_locks": macLocks,
        ])
        while let row = try rows.next() { try each(ResolvedRequestRow(row, rawOS: rawOS)) }
    }

    /// The states of an element still to be decided: the open ones, and `sending` (a call
    /// that may be in flight, or was when its run was interrupted). A row in one of them
    /// belongs to an unfinished run.
    static let unfinished: [DispatchState] = DispatchState.open + (DispatchState.open.contains(.sending) ? [] : [.sending])

    /// Every request with its matched devices (or none), the number of matches, and
    /// for usable matches the occurrence of (action, device) in line order (check 3). The
    /// service of an earlier element is its run's: `CROSS JOIN` keeps SQLite looking up the
    /// element by its index first, and its run by id, rather than every element of a run.
    private static let resultSQL = """
        WITH counted AS (
            SELECT m.line, m.device_id, m.via, p.action, count(*) OVER (PARTITION BY m.line) AS match_count
            FROM temp.plan_matches m JOIN temp.plan_requests p ON p.line = m.line
        ), ranked AS (
            SELECT line, device_id, via, match_count,
                   CASE WHEN via IN ('device_id', 'user') OR match_count = 1 THEN
                       row_number() OVER (PARTITION BY action,
                                          CASE WHEN via IN ('device_id', 'user') OR match_count = 1 THEN device_id END
                                          ORDER BY line)
                   END AS occurrence
            FROM counted
        )
        SELECT p.line, p.request_id, p.action, p.action_text, p.target, p.valid, p.justification, p.requested_by, p.ticket,
               r.via, r.match_count, r.occurrence, r.device_id,
               d.platform, d.os_version, d.management, d.primary_user_upn, d.enrolled_by_upn, d.passcode_set, d.last_check_in,
               CASE WHEN r.device_id IS NULL AND p.valid AND (p.target_type IS NULL OR p.target_type = 'user')
                    THEN EXISTS (SELECT 1 FROM main.users u WHERE u.tenant = 0 AND u.upn = p.target) ELSE 0 END AS user_exists,
               r.device_id IS NOT NULL AND p.action IS NOT NULL AND p.request_id IS NOT NULL AND EXISTS (
                   SELECT 1 FROM main.dispatches e CROSS JOIN main.runs x ON x.id = e.run_id
                   WHERE e.request_id = p.request_id AND e.device_id = r.device_id
                   AND e.action = p.action AND e.state = 'succeeded' AND x.service = :service) AS succeeded_earlier,
               d.os_raw, d.enrollment,
               CASE WHEN :mac_locks AND p.action = 'lock' AND r.device_id IS NOT NULL THEN (
                   SELECT e.state || ' ' || coalesce(e.first_sent_at, '-') || ' ' || e.run_id
                   FROM main.dispatches e CROSS JOIN main.runs x ON x.id = e.run_id
                   WHERE e.device_id = r.device_id AND e.action = 'lock' AND e.platform = 'macos'
                   AND x.service = :service AND e.run_id IS NOT :run
                   AND e.state IN (\(StoreReader.list(unfinished + [.succeeded, .unknownOutcome])))
                   ORDER BY e.state IN (\(StoreReader.list(unfinished))) DESC, coalesce(e.first_sent_at, e.queued_at) DESC LIMIT 1)
               END AS mac_lock,
               r.device_id IS NOT NULL AND p.action IS NOT NULL AND (EXISTS (
                   SELECT 1 FROM main.dispatches e CROSS JOIN main.runs x ON x.id = e.run_id
                   WHERE e.request_id = p.request_id AND e.device_id = r.device_id
                   AND e.action = p.action AND e.state = 'unknown_outcome' AND x.service = :service)
                OR p.request_id IS NULL AND EXISTS (
                   SELECT 1 FROM main.runs x JOIN main.dispatches e ON e.run_id = x.id
                   WHERE x.batch_sha256 = :sha AND x.service = :service AND e.state = 'unknown_outcome' AND e.request_id IS NULL
                   AND e.line = p.line AND e.device_id = r.device_id AND e.action = p.action)) AS left_unknown
        FROM temp.plan_requests p
        LEFT JOIN ranked r ON r.line = p.line
        LEFT JOIN main.devices d ON d.tenant = 0 AND d.device_id = r.device_id
        ORDER BY p.line, r.device_id
        """
}

/// One request and one matched device (or none), decoded by column position: the hot
/// loop of a plan.
struct ResolvedRequestRow {
    var line: Int, requestID: String?, action: String?, actionText: String, target: String, valid: Bool
    var justification: String?, requestedBy: String?, ticket: String?
    /// How the target matched: `device_id`, `serial`, `imei` or `user`.
    var via: String?
    var matchCount: Int
    /// The how-manieth time this (action, device) occurs in the batch.
    var occurrence: Int?
    var userExists: Bool
    var device: DeviceFacts?
    /// What earlier runs to the same service did with this (request, action, device).
    var earlier: EarlierElements

    init(_ row: Row, rawOS: Bool) {
        line = row[0]
        requestID = row[1]
        action = row[2]
        actionText = row[3]
        target = row[4]
        valid = row[5]
        justification = row[6]
        requestedBy = row[7]
        ticket = row[8]
        via = row[9]
        matchCount = row[10] ?? 0
        occurrence = row[11]
        userExists = row[20]
        earlier = EarlierElements(succeeded: row[21] ?? false, unknownOutcome: row[25] ?? false)
        let deviceID: String? = row[12]
        let platform: String? = row[13]
        device = deviceID.map { id in
            DeviceFacts(
                deviceID: id,
                platform: platform.flatMap(PlatformResolution.init(storedValue:)) ?? .unlisted,
                // the 2017 rules read the stored resolution: no string for them to build per row
                osRaw: rawOS ? row[22] ?? "" : "",
                osVersion: row[14],
                enrollment: (row[23] as String?).flatMap(Enrollment.init(rawValue:)),
                management: (row[15] as String?).flatMap(Management.init(rawValue:)),
                primaryUserUPN: row[16],
                enrolledByUPN: row[17],
                passcodeSet: row[18],
                lastCheckIn: (row[19] as String?).flatMap(ISOTimestamp.epochSeconds),
                earlierMacLock: (row[24] as String?).flatMap(Self.macLock))
        }
    }
}

extension ResolvedRequestRow {
    /// `STATE FIRST_SENT_AT RUN_ID` (`-` for a lock never sent), as the query gives it.
    static func macLock(_ text: String) -> EarlierMacLock? {
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count == 3, let state = DispatchState(rawValue: String(parts[0])) else { return nil }
        return EarlierMacLock(runID: String(parts[2]), state: state, firstSentAt: ISOTimestamp.epochSeconds(String(parts[1])))
    }
}

extension StoreWriter {
    /// New temporary plan tables on this connection; `drop` them after.
    func planTables() throws -> PlanTables { try PlanTables(self) }
}

extension AppDatabase {
    /// Runs `body` with new plan tables outside any transaction, and drops them after.
    func withPlanTables<T>(_ body: (PlanTables) throws -> T) throws -> T {
        try withoutTransaction { writer in
            let tables = try writer.planTables()
            defer { try? tables.drop() }
            return try body(tables)
        }
    }
}
