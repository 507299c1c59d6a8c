import Foundation
import GRDB

/// Turns a batch file into verdicts: the batch goes into a temporary table, targets are
/// resolved against the store in a few set-based statements (no query per request),
/// and the rules are applied to the joined rows as they stream out in line order.
/// Nothing is written to the main database.
public enum Planner {
    /// Plans `batchPath` on `db`: calls `loaded` once the whole batch is read (its
    /// sha256 known), then `each` for every element, ordered by line then device id.
    public static func plan(
        batchPath: String, in db: Database, rules: RuleSet, now: Int64,
        loaded: (BatchFileInfo) throws -> Void = { _ in }, each: (PlanItem) throws -> Void
    ) throws -> Plan {
        defer { try? cleanUp(db) }
        let batch = try load(batchPath: batchPath, in: db)
        try loaded(batch)
        let summary = try stream(in: db, rules: rules, now: now, each: each)
        return Plan(batch: batch, summary: summary)
    }

    /// Reads the batch into temporary tables and resolves its targets. Works inside or
    /// outside a transaction; call `cleanUp` after.
    public static func load(batchPath: String, in db: Database) throws -> BatchFileInfo {
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.plan_requests;
            DROP TABLE IF EXISTS temp.plan_matches;
            CREATE TEMP TABLE plan_requests (
                line INTEGER PRIMARY KEY, request_id TEXT, action TEXT, action_text TEXT NOT NULL, target TEXT NOT NULL,
                target_type TEXT, valid INTEGER NOT NULL, justification TEXT, requested_by TEXT, ticket TEXT);
            CREATE TEMP TABLE plan_matches (
                line INTEGER NOT NULL, device_id TEXT NOT NULL, via TEXT NOT NULL, PRIMARY KEY (line, device_id)) WITHOUT ROWID;
            """)
        let batch = try loadBatch(batchPath, db)
        try resolveTargets(db)
        return batch
    }

    public static func cleanUp(_ db: Database) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.plan_requests; DROP TABLE IF EXISTS temp.plan_matches")
    }

    /// The elements of a loaded batch, in order; returns their counts.
    public static func stream(in db: Database, rules: RuleSet, now: Int64, each: (PlanItem) throws -> Void) throws -> PlanSummary {
        var summary = PlanSummary()
        var group: [JoinedRow] = []
        func flush() throws {
            guard let first = group.first else { return }
            var isFirst = true
            for item in items(for: group, first: first, rules: rules, now: now) {
                summary.add(item, newRequest: isFirst)
                isFirst = false
                try each(item)
            }
            group.removeAll(keepingCapacity: true)
        }
        let rows = try Row.fetchCursor(db, sql: resultSQL)
        while let row = try rows.next() {
            let joined = JoinedRow(row)
            if let first = group.first, first.line != joined.line { try flush() }
            group.append(joined)
        }
        try flush()
        return summary
    }

    private static func loadBatch(_ path: String, _ db: Database) throws -> BatchFileInfo {
        let insert = try RawStatement(db, sql: """
            INSERT INTO temp.plan_requests (line, request_id, action, action_text, target, target_type, valid,
                                            justification, requested_by, ticket)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var info: BatchFileInfo?
        try db.inSavepoint {
            info = try BatchFile.read(path: path) { request in
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
                try insert.execute(db)
            }
            return .commit
        }
        return info!
    }

    /// Check 2: device id, then serial, then IMEI, then primary user (or only the given
    /// target type), each statement taking only the requests still unmatched.
    private static func resolveTargets(_ db: Database) throws {
        let unmatched = "NOT EXISTS (SELECT 1 FROM temp.plan_matches m WHERE m.line = p.line)"
        try db.inSavepoint {
            try db.execute(sql: """
                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'device_id' FROM temp.plan_requests p JOIN main.devices d ON d.device_id = p.target
                WHERE p.valid AND (p.target_type IS NULL OR p.target_type = 'device_id');

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'serial' FROM temp.plan_requests p JOIN main.devices d ON d.serial_number = p.target
                WHERE p.valid AND (p.target_type = 'serial' OR (p.target_type IS NULL AND \(unmatched)));

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'imei' FROM temp.plan_requests p JOIN main.devices d ON d.imei = p.target
                WHERE p.valid AND (p.target_type = 'imei' OR (p.target_type IS NULL AND \(unmatched)));

                INSERT INTO temp.plan_matches (line, device_id, via)
                SELECT p.line, d.device_id, 'user' FROM temp.plan_requests p JOIN main.devices d ON d.primary_user_upn = p.target
                WHERE p.valid AND (p.target_type = 'user' OR (p.target_type IS NULL AND \(unmatched)));
                """)
            return .commit
        }
    }

    /// Every request with its matched devices (or none), the number of matches, and
    /// for usable matches the occurrence of (action, device) in line order (check 3).
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
                    THEN EXISTS (SELECT 1 FROM main.users u WHERE u.upn = p.target) ELSE 0 END AS user_exists
        FROM temp.plan_requests p
        LEFT JOIN ranked r ON r.line = p.line
        LEFT JOIN main.devices d ON d.device_id = r.device_id
        ORDER BY p.line, r.device_id
        """

    /// One row of `resultSQL`, decoded by column position (the hot loop of a plan).
    private struct JoinedRow {
        var line: Int, requestID: String?, action: String?, actionText: String, target: String, valid: Bool
        var justification: String?, requestedBy: String?, ticket: String?
        var via: String?, matchCount: Int, occurrence: Int?, userExists: Bool
        var device: DeviceFacts?, platform: String?

        init(_ row: Row) {
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
            let deviceID: String? = row[12]
            platform = row[13]
            device = deviceID.map { id in
                DeviceFacts(
                    deviceID: id,
                    platform: platform.flatMap(PlatformResolution.init(storedValue:)) ?? .unlisted,
                    osVersion: row[14],
                    management: (row[15] as String?).flatMap(Management.init(rawValue:)),
                    primaryUserUPN: row[16],
                    enrolledByUPN: row[17],
                    passcodeSet: row[18],
                    lastCheckIn: (row[19] as String?).flatMap(ISOTimestamp.epochSeconds))
            }
        }
    }

    /// The elements of one request (its rows share a line).
    private static func items(for rows: [JoinedRow], first: JoinedRow, rules: RuleSet, now: Int64) -> [PlanItem] {
        let action = first.action.flatMap(Action.init(rawValue:))
        var base = PlanItem(
            line: first.line, requestID: first.requestID, action: action?.rawValue ?? first.actionText,
            target: first.target, deviceID: nil, platform: nil, verdict: .rejected(.invalidRequest),
            requestedBy: first.requestedBy, justification: first.justification, ticket: first.ticket)
        guard first.valid else { return [base] }

        guard first.device != nil else {
            base.verdict = Evaluation.verdict(action: action, target: first.userExists ? .userWithoutDevices : .unknown,
                                              duplicate: false, rules: rules, now: now)
            return [base]
        }
        if (first.via == "serial" || first.via == "imei") && first.matchCount > 1 {
            base.verdict = Evaluation.verdict(action: action, target: .ambiguous(deviceIDs: rows.compactMap { $0.device?.deviceID }),
                                              duplicate: false, rules: rules, now: now)
            return [base]
        }
        return rows.compactMap { row in
            guard let facts = row.device else { return nil }
            var item = base
            item.deviceID = facts.deviceID
            item.platform = row.platform
            item.verdict = Evaluation.verdict(action: action, target: .device(facts),
                                              duplicate: (row.occurrence ?? 1) > 1, rules: rules, now: now)
            return item
        }
    }
}
