import Testing
@testable import MDMBatchKit

@Suite("Idempotency keys: one per (request, action, device), no two alike")
struct IdempotencyKeyTests {
    static func key(_ requestID: String?, _ device: String, action: Action = .lock, batch: String = "b", line: Int = 1) -> String {
        IdempotencyKey.make(requestID: requestID, batchSHA256: batch, line: line, action: action, deviceID: device)
    }

    @Test("fields that concatenate alike give different keys: a/b on c is not a on b/c")
    func noConcatenationCollision() {
        #expect(Self.key("a/b", "c") != Self.key("a", "b/c"))
        #expect(Self.key("a", "bc") != Self.key("ab", "c"))
        #expect(Self.key("1:a", "b") != Self.key("1", "a:b"))
    }

    @Test("the same request and device: a lock and a reset have different keys")
    func actionInTheKey() {
        #expect(Self.key("r-1", "d-0001", action: .lock) != Self.key("r-1", "d-0001", action: .resetPasscode))
    }

    @Test("without a request_id: named by batch and line, so two lines or two batches differ, and an id never equals a line")
    func withoutRequestID() {
        #expect(Self.key(nil, "d", line: 2) != Self.key(nil, "d", line: 3))
        #expect(Self.key(nil, "d", batch: "x") != Self.key(nil, "d", batch: "y"))
        #expect(Self.key(nil, "d", batch: "b", line: 1) != Self.key("batch:b:1", "d"))
    }

    @Test("the same (request, action, device) always gives the same key, whatever the batch and line (a resend is recognised)")
    func stable() {
        #expect(Self.key("r-9", "d", action: .resetPasscode, batch: "x", line: 4) == Self.key("r-9", "d", action: .resetPasscode, batch: "y", line: 7))
        #expect(Self.key("r-9", "d").count == 64)
    }
}
