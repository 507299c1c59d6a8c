import Testing
@testable import MDMBatchKit

/// The verdicts on what earlier runs did (RULES.md, "Same service, same identity", and check 7
/// of intune-2025) are the rules' own, decided from the facts the planner gathers.
@Suite("Earlier runs: the rules decide from the facts")
struct EarlierRunsTests {
    static let now = TestSupport.now
    static let day: Int64 = 86_400
    static let accepted = Verdict(reason: nil, warnings: [], secret: nil, detail: nil)

    static func secondLock(_ earlier: EarlierMacLock?) -> Verdict {
        let mac = DeviceFacts(deviceID: "m", osRaw: "macOS", osVersion: "15.1", primaryUserUPN: "a@x.com", enrolledByUPN: "a@x.com",
                              lastCheckIn: now, earlierMacLock: earlier)
        return Evaluation.verdict(action: .lock, target: .device(mac), duplicate: false, rules: .intune2025, now: now)
    }

    @Test("a second Mac lock: refused while the first is unfinished, however old, or ended less than 30 days ago",
          arguments: [
              (DispatchState.queued, 400 * day, true), (.sending, 0, true), (.retryWait, 31 * day, true), (.settleWait, 1, true),
              (.succeeded, 29 * day, true), (.unknownOutcome, 29 * day, true), (.succeeded, 31 * day, false),
              (.unknownOutcome, 31 * day, false), (.failed, 0, false), (.rejected, 0, false),
          ])
    func macLockWindow(state: DispatchState, age: Int64, refused: Bool) {
        let verdict = Self.secondLock(EarlierMacLock(runID: "run-a", state: state, firstSentAt: Self.now - age))
        #expect((verdict.reason == .unlockPINOutstanding) == refused, "\(state) \(age / Self.day) days: \(verdict)")
        if refused { #expect(verdict.detail?.contains("run run-a") == true, "names the run that holds it") }
    }

    @Test("intune-2017 has no unlock PIN check: the same facts refuse nothing")
    func notIn2017() {
        let mac = DeviceFacts(deviceID: "m", osRaw: "macOS", osVersion: "10.12", primaryUserUPN: "a@x.com",
                              enrolledByUPN: "a@x.com", lastCheckIn: Self.now,
                              earlierMacLock: EarlierMacLock(runID: "run-a", state: .queued))
        let verdict = Evaluation.verdict(action: .lock, target: .device(mac), duplicate: false, rules: .intune2017, now: Self.now)
        #expect(verdict.reason != .unlockPINOutstanding)
    }

    @Test("already_done before unknown_earlier; neither after checks 1–3 refused the element",
          arguments: [
              (true, false, Self.accepted, ReasonCode?.some(.alreadyDone)), (false, true, Self.accepted, .unknownEarlier),
              (true, true, Self.accepted, .alreadyDone), (false, false, Self.accepted, nil),
              (true, false, Verdict.rejected(.duplicateRequest), nil), (true, false, Verdict.rejected(.unknownTarget), nil),
              (true, false, Verdict.rejected(.unsupportedPlatform), .alreadyDone),
          ])
    func skips(succeeded: Bool, unknown: Bool, verdict: Verdict, skip: ReasonCode?) {
        #expect(EarlierElements(succeeded: succeeded, unknownOutcome: unknown).skip(after: verdict) == skip)
    }
}
