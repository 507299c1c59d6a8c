import Foundation
import Logging

/// Resolves the secrets claimed and not marked delivered by a process that died in between
/// (DESIGN.md, "Secrets exactly once"): each claimed file is read back; a line found there
/// marks its element delivered, a line missing lets the secret be delivered again (by this
/// run's settling or by `confirm`). Run by `run` and `confirm` while they hold the run lock,
/// before they deliver anything.
enum SecretClaims {
    /// How many claims were found delivered and how many were not.
    @discardableResult
    static func resolve(_ database: AppDatabase, clock: any EngineClock, logger: Logger) throws -> (delivered: Int, missing: Int) {
        let open = try database.read { try $0.openSecretClaims() }
        guard !open.isEmpty else { return (0, 0) }
        var files: [SecretClaim: ClaimedSecretsFile] = [:]
        var found: [Bool] = []
        for claim in open {
            let file = files[claim.claim] ?? ClaimedSecretsFile(claim.claim)
            files[claim.claim] = file
            found.append(file.holds(deviceID: claim.deviceID, requestID: claim.requestID, line: claim.line, action: claim.action,
                                    kind: claim.kind))
        }
        let now = clock.date()
        try database.write { store in
            for (claim, isThere) in zip(open, found) { try store.resolveSecretClaim(claim, found: isThere, at: now) }
        }
        let delivered = found.filter { $0 }.count
        logger.warning("secrets claimed by an interrupted process, read back from their files", metadata: [
            "found": "\(delivered)", "missing (delivered again)": "\(open.count - delivered)",
        ])
        return (delivered, open.count - delivered)
    }
}
