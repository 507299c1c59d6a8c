import Foundation
import MDMBatchKit
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
    /// Taken: the n-th of its kind on this device.
    case accepted(count: Int)
    /// Intune refuses it (400), with a reason a person understands.
    case refused(String)
}

/// The actions every device received: the service's memory. The latest action of each
/// kind is what `deviceActionResults` shows (a second reset's passcode replaces the first).
public final class ActionBook: Sendable {
    private struct DeviceLog: Sendable {
        var lock: ReceivedAction?
        var reset: ReceivedAction?
        var locks = 0
        var resets = 0
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
        let finalState: DeviceActionState
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
            if action == .remoteLock, secretField == .unlockPin, let previous = log.lock,
               unlockPinOutstanding(previous, now: now) {
                return .refused("A remote lock is already pending for this device: the unlock PIN of the lock sent at "
                    + "\(GraphTime.string(previous.started)) has not been used yet")
            }
            var received = ReceivedAction(action: action, count: 0, started: now, activeAt: now.addingTimeInterval(pending),
                                          finishedAt: now.addingTimeInterval(pending + active), finalState: finalState,
                                          secretField: secretField, secret: secret)
            switch action {
            case .remoteLock:
                log.locks += 1
                received.count = log.locks
                log.lock = received
            case .resetPasscode:
                log.resets += 1
                received.count = log.resets
                log.reset = received
            }
            logs[index] = log
            return .accepted(count: received.count)
        }
    }

    /// A Mac's lock leaves an unlock PIN to be used; until then (or until `--unlock-pin-ttl`)
    /// a second lock fails. A lock that ended without effect leaves none.
    private func unlockPinOutstanding(_ lock: ReceivedAction, now: Date) -> Bool {
        let state = lock.state(at: now)
        if state == .failed || state == .canceled || state == .notSupported { return false }
        return now < lock.started.addingTimeInterval(configuration.unlockPinTTL)
    }

    /// The device's `deviceActionResults` at `now`.
    func results(index: Int, now: Date) -> [ActionResultView] {
        let log = logs.withLockedValue { $0[index] }
        guard let log else { return [] }
        return [log.lock, log.reset].compactMap { $0 }.sorted { $0.started < $1.started }.map { received in
            let state = received.state(at: now)
            let holding = (state == .active || state == .done) && now < received.started.addingTimeInterval(configuration.secretTTL)
            return ActionResultView(action: received.action, state: state, started: received.started,
                                    lastUpdated: received.lastUpdated(at: now), secretField: received.secretField,
                                    secret: holding ? received.secret : nil)
        }
    }
}
