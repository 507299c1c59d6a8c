import Foundation
import MDMBatchShared
import NIOConcurrencyHelpers

/// One action a device received, and the times at which its state moves on. Its state at
/// any moment follows from these times, so nothing needs waking up.
struct ReceivedAction: Sendable {
    var action: DeviceAction
    /// The n-th time this device received this action (1 for the first).
    var count: Int
    var started: Date
    var activeAt: Date
    var finishedAt: Date
    /// When `deviceActionResults` starts to show it (`--results-lag`).
    var visibleAt: Date
    /// The state it ends in: `done`, or what `--fail-device` / `--fail-rate` chose.
    var finalState: DeviceActionState
    var secretField: SecretField?
    /// Made when the action was received, shown from `active` on; never logged.
    var secret: String?

    func state(at now: Date) -> DeviceActionState {
        if now < activeAt { return .pending }
        if now < finishedAt { return .active }
        return finalState
    }

    func lastUpdated(at now: Date) -> Date {
        if now < activeAt { return started }
        if now < finishedAt { return activeAt }
        return finishedAt
    }
}

/// What `deviceActionResults` shows of one action at one moment.
public struct ActionResultView: Sendable, Equatable {
    public var action: DeviceAction
    public var state: DeviceActionState
    public var started: Date
    public var lastUpdated: Date
    public var secretField: SecretField?
    /// Nil while pending, once the service no longer holds it, or when the action failed.
    public var secret: String?
}

/// What a device makes of an action it was sent.
public enum ActionOutcome: Sendable, Equatable {
    /// Taken: the n-th of its kind on this device. `failsOnDevice`: accepted, but it will end
    /// `failed` (a second Mac lock while the first PIN is unused, `--second-mac-lock fails`).
    case accepted(count: Int, failsOnDevice: Bool = false)
    /// Intune refuses it (400), with a reason a person understands.
    case refused(String)
}

/// The actions every device received: the service's memory. The latest action of each
/// kind that is visible yet is what `deviceActionResults` shows (a second reset's passcode
/// replaces the first); with `--results-lag` an action becomes visible a seeded while after
/// it took effect, and until then the one before it is shown.
public final class ActionBook: Sendable {
    private struct DeviceLog: Sendable {
        /// Of each kind, oldest first: the latest visible one and those not visible yet.
        var locks: [ReceivedAction] = []
        var resets: [ReceivedAction] = []
        var lockCount = 0
        var resetCount = 0
        /// The latest Mac lock that made an unlock PIN (a failed second lock made none).
        var pinLock: ReceivedAction?
    }

    private let logs = NIOLockedValueBox<[Int: DeviceLog]>([:])
    private let configuration: SimConfiguration
    private let dice: SeededDice

    init(configuration: SimConfiguration, dice: SeededDice) {
        self.configuration = configuration
        self.dice = dice
    }

    /// Receives `action` for the device at `index`: refused, or recorded (and so in effect).
    func receive(_ action: DeviceAction, device: SimDevice, index: Int, now: Date) -> ActionOutcome {
        if let reason = IntuneSupport.refusal(of: action, on: device) { return .refused(reason) }
        let secretField = IntuneSupport.secret(of: action, on: device)
        let delay = Double(configuration.actionDelayMS) / 1000
        let pending = delay > 0 ? dice.around(delay) : 0
        let active = delay > 0 ? dice.around(delay) : 0
        let lag = configuration.resultsLag > 0 ? dice.unit() * configuration.resultsLag : 0
        var finalState: DeviceActionState
        if let state = configuration.failDevices[device.id] {
            finalState = DeviceActionState(rawValue: state.rawValue) ?? .failed
        } else {
            finalState = dice.chance(configuration.failRate) ? .failed : .done
        }
        let secret: String? = switch secretField {
        case .passcode: Secrets.digits(8)
        case .unlockPin: Secrets.digits(6)
        case nil: nil
        }
        return logs.withLockedValue { logs in
            var log = logs[index] ?? DeviceLog()
            var secondMacLock = false
            if action == .remoteLock, secretField == .unlockPin, let previous = log.pinLock,
               unlockPinOutstanding(previous, now: now) {
                switch configuration.secondMacLock {
                case .refused:
                    return .refused("A remote lock is already pending for this device: the unlock PIN of the lock sent "
                        + "at \(GraphTime.string(previous.started)) has not been used yet")
                case .fails:
                    secondMacLock = true
                    finalState = .failed
                }
            }
            var received = ReceivedAction(action: action, count: 0, started: now, activeAt: now.addingTimeInterval(pending),
                                          finishedAt: now.addingTimeInterval(pending + active),
                                          visibleAt: now.addingTimeInterval(lag), finalState: finalState,
                                          secretField: secretField, secret: secondMacLock ? nil : secret)
            switch action {
            case .remoteLock:
                log.lockCount += 1
                received.count = log.lockCount
                log.locks = Self.appending(received, to: log.locks, now: now)
                if secretField == .unlockPin, !secondMacLock { log.pinLock = received }
            case .resetPasscode:
                log.resetCount += 1
                received.count = log.resetCount
                log.resets = Self.appending(received, to: log.resets, now: now)
            }
            logs[index] = log
            return .accepted(count: received.count, failsOnDevice: secondMacLock)
        }
    }

    /// `received` added to `history`, less what can never be shown again: whatever started
    /// before the latest action already visible.
    private static func appending(_ received: ReceivedAction, to history: [ReceivedAction], now: Date) -> [ReceivedAction] {
        var kept = history
        if let shown = kept.lastIndex(where: { $0.visibleAt <= now }) { kept.removeFirst(shown) }
        kept.append(received)
        return kept
    }

    /// A Mac's lock leaves an unlock PIN to be used; until then (or until `--unlock-pin-ttl`)
    /// a second lock fails. A lock that ended without effect leaves none.
    private func unlockPinOutstanding(_ lock: ReceivedAction, now: Date) -> Bool {
        let state = lock.state(at: now)
        if state == .failed || state == .canceled || state == .notSupported { return false }
        return now < lock.started.addingTimeInterval(configuration.unlockPinTTL)
    }

    /// The device's `deviceActionResults` at `now`: of each kind, the visible action that
    /// started last.
    func results(index: Int, now: Date) -> [ActionResultView] {
        let log = logs.withLockedValue { $0[index] }
        guard let log else { return [] }
        let shown = [log.locks, log.resets].compactMap { history in
            history.filter { $0.visibleAt <= now }.max { $0.started < $1.started }
        }
        return shown.sorted { $0.started < $1.started }.map { received in
            let state = received.state(at: now)
            let holding = (state == .active || state == .done) && now < received.started.addingTimeInterval(configuration.secretTTL)
            return ActionResultView(action: received.action, state: state, started: received.started,
                                    lastUpdated: received.lastUpdated(at: now), secretField: received.secretField,
                                    secret: holding ? received.secret : nil)
        }
    }
}
