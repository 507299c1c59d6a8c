import Foundation
import Testing
@testable import MDMBatchKit

/// Keeps the secrets a run delivers, for the test to look at.
final class PasscodeBox: SecretSink, @unchecked Sendable {
    // @unchecked: `lock` guards `values`.
    private let lock = NSLock()
    private(set) var values: [SecretNotice] = []
    var canDeliver: Bool { true }
    func claimTarget() throws -> SecretClaim? { nil }
    func write(_ notices: [SecretNotice]) throws { lock.withLock { values.append(contentsOf: notices) } }
}

/// No safe place for a secret (stdout is not a terminal, no file given).
struct Nowhere: SecretSink {
    var canDeliver: Bool { false }
    func claimTarget() throws -> SecretClaim? { nil }
    func write(_ notices: [SecretNotice]) throws { Issue.record("a secret was delivered nowhere") }
}
