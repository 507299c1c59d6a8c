import Foundation
import GRDB

/// What a confirmation learned of one element.
struct ConfirmationChange: Sendable {
    var job: DispatchJob
    var state: DeviceActionState
    /// When the service last saw the action change.
    var serviceUpdatedAt: Date?
    /// Its secret, to be handed to the secrets file with this change (never stored).
    var secret: SecretNotice?
    /// Why it makes a secret the service no longer holds, recorded as its error; nil otherwise.
    var secretGone: String?
}

extension StoreReader {
    /// The sent elements of a run still to confirm: accepted by the service (`succeeded`)
    /// and not yet final on the device, or with a secret not yet delivered.
    func elementsToConfirm(runID: String, actor: String) throws -> [DispatchJob] {
        try jobs(runID: runID, states: [.succeeded], after: -1, limit: Int.max, actor: actor, unconfirmed: true)
    }

    /// Secrets of sent elements not delivered yet (over Graph: for `confirm` to collect).
    public func secretsToCollect(runID: String) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM dispatches WHERE run_id = ? AND state = 'succeeded' AND secret IS NOT NULL
            AND secret_delivered_at IS NULL AND last_error IS NULL
            """, arguments: [runID]) ?? 0
    }

    /// How many sent elements of a run are in each device state (nil: not confirmed yet).
    public func deviceStateCounts(runID: String) throws -> [DeviceActionState?: Int] {
        var counts: [DeviceActionState?: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT device_state, count(*) AS n FROM dispatches WHERE run_id = ? AND state = 'succeeded' GROUP BY device_state
            """, arguments: [runID]) {
            counts[(row["device_state"] as String?).flatMap(DeviceActionState.init(rawValue:)), default: 0] += row["n"] as Int
        }
        return counts
    }
}

extension StoreWriter {
    /// Records what the service said of each element, each with an audit row naming who
    /// asked; a secret handed over is recorded as `secrets` says (delivered, or claimed),
    /// never the secret itself.
    func recordConfirmations(_ changes: [ConfirmationChange], runID: String, actor: String,
                             secrets: SecretHandOver.Recording, at now: Date) throws {
        var audit = try auditAppender()
        let update = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET device_state = ?3, device_state_at = ?4,
                secret_delivered_at = coalesce(secret_delivered_at, ?5),
                last_error = CASE WHEN ?6 THEN ?7 ELSE last_error END,
                secret_claim_path = coalesce(?8, secret_claim_path), secret_claim_inode = coalesce(?9, secret_claim_inode)
            WHERE run_id = ?1 AND seq = ?2 AND state = 'succeeded'
            """)
        let time = ISOTimestamp.formatMillis(now)
        for change in changes {
            let job = change.job
            let gone = change.secretGone
            update.bind(1, runID)
            update.bind(2, job.seq)
            update.bind(3, change.state.rawValue)
            update.bind(4, time)
            let handedOver = change.secret != nil && secrets != .none
            let secret = change.secret != nil ? secrets.columns(at: time) : [nil, nil, nil]
            update.bind(5, secret[0])
            update.bind(6, Int64(gone != nil ? 1 : 0))
            update.bind(7, gone)
            update.bind(8, secret[1])
            update.bind(9, secret[2])
            try update.execute(db)
            try audit.append(.confirmation(change, runID: runID, actor: actor, secretHandedOver: handedOver), at: now)
        }
    }
}
