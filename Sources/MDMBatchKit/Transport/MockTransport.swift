import Foundation

/// Settings of the mock service.
public struct MockTransportConfiguration: Sendable, Equatable {
    /// Mean latency of a call; each call takes between half and one and a half of it.
    public var latencyMs: Double = 0
    /// Share of attempts that fail transiently (503, 429, or a timeout).
    public var transientRate: Double = 0
    /// Share of attempts that fail for good (404, 403, 400).
    public var permanentRate: Double = 0
    public var seed: UInt64 = 1
    /// Beyond this rate the service answers 429 with a Retry-After, as the real one does.
    public var throttle: RatePolicy?
    /// The JSONL journal of every send and every effect; nil: no journal.
    public var journalPath: String?

    public init(latencyMs: Double = 0, transientRate: Double = 0, permanentRate: Double = 0, seed: UInt64 = 1,
                throttle: RatePolicy? = nil, journalPath: String? = nil) {
        self.latencyMs = latencyMs
        self.transientRate = transientRate
        self.permanentRate = permanentRate
        self.seed = seed
        self.throttle = throttle
        self.journalPath = journalPath
    }
}

/// A stand-in for the device-management service. It delivers over each platform's
/// channel, keeps each device's state, injects seeded latency and faults, honours
/// idempotency keys (across restarts too: it reads its journal back), and appends every
/// send and every effect to a JSONL journal before it answers — never a passcode.
public actor MockTransport: DeviceActionTransport {
    public struct DeviceState: Sendable, Equatable {
        public var locked = false
        public var passcodeCleared = false
        public var temporaryPasscodeSet = false
        public var effects = 0
    }

    private let configuration: MockTransportConfiguration
    private let clock: any EngineClock
    private let journal: Journal?
    private var applied: [String: TransportReceipt] = [:]
    public private(set) var devices: [String: DeviceState] = [:]
    private var throttleWindow: SlidingWindow?
    /// Sends received (all attempts, replays included).
    public private(set) var sends = 0

    public init(configuration: MockTransportConfiguration, clock: any EngineClock) throws {
        self.configuration = configuration
        self.clock = clock
        throttleWindow = configuration.throttle.map(SlidingWindow.init(policy:))
        if let path = configuration.journalPath {
            let journal = try Journal(path: path)
            applied = journal.appliedKeys
            self.journal = journal
        } else {
            journal = nil
        }
    }

    /// The latency is spent before the call enters the actor: the network, not the service,
    /// and no hop back onto the actor after the wait.
    public nonisolated func send(_ command: DeviceCommand) async throws -> TransportReceipt {
        if configuration.latencyMs > 0 {
            let factor = 0.5 + SeededGenerator.unit(seed: configuration.seed, "latency#\(command.idempotencyKey)#\(command.attempt)")
            try await clock.sleep(seconds: configuration.latencyMs / 1000 * factor)
        }
        return try await receive(command)
    }

    private func receive(_ command: DeviceCommand) throws -> TransportReceipt {
        sends += 1
        let channel = DeliveryChannel.of(platform: command.platform, management: command.management).rawValue
        journal?.append(["type": .string("send"), "key": .string(command.idempotencyKey), "device_id": .string(command.deviceID),
                         "action": .string(command.action.rawValue), "attempt": .number(Double(command.attempt)),
                         "channel": .string(channel)], at: clock.date())

        if var window = throttleWindow {
            let now = clock.now()
            let allowed = window.earliest(after: now)
            if allowed > now {
                fault(command, status: 429, kind: "throttled")
                throw TransportError.transient(status: 429, retryAfter: String(format: "%.3f", allowed - now),
                                               message: "Too Many Requests")
            }
            window.record(now)
            throttleWindow = window
        }

        let roll = SeededGenerator.unit(seed: configuration.seed, "fault#\(command.idempotencyKey)#\(command.attempt)")
        if roll < configuration.permanentRate {
            let statuses = [(404, "ResourceNotFound", "device not enrolled"), (409, "Conflict", "another action is pending"),
                            (400, "BadRequest", "not supported on this device")]
            let (status, code, message) = statuses[Int(roll / configuration.permanentRate * 3) % 3]
            fault(command, status: status, kind: "permanent")
            throw TransportError.permanent(status: status, code: code, message: message)
        }
        if roll < configuration.permanentRate + configuration.transientRate {
            let kind = SeededGenerator.unit(seed: configuration.seed, "kind#\(command.idempotencyKey)#\(command.attempt)")
            if kind < 0.5 {
                fault(command, status: 503, kind: "transient")
                throw TransportError.transient(status: 503, retryAfter: nil, message: "Service Unavailable")
            } else if kind < 0.8 {
                fault(command, status: 429, kind: "transient")
                throw TransportError.transient(status: 429, retryAfter: "1", message: "Too Many Requests")
            } else {
                // a timeout: half the time the service acted before the answer was lost
                if kind >= 0.9 { _ = apply(command, channel: channel) }
                fault(command, status: 504, kind: "timeout")
                throw TransportError.unknownOutcome(message: "timed out waiting for the service")
            }
        }
        return apply(command, channel: channel)
    }

    public func lookup(_ query: ActionQuery) async -> ActionLookup {
        guard applied[query.idempotencyKey] != nil else { return .notReceived }
        // the mock keeps no secret once it has answered: a secret not received then is gone
        return .received(ActionReport(state: .done, secretGone: query.secret != nil))
    }

    /// Does what the command asks, once per idempotency key.
    private func apply(_ command: DeviceCommand, channel: String) -> TransportReceipt {
        if var earlier = applied[command.idempotencyKey] {
            journal?.append(["type": .string("replay"), "key": .string(command.idempotencyKey),
                             "device_id": .string(command.deviceID)], at: clock.date())
            earlier.replayed = true
            earlier.secret = nil
            return earlier
        }
        var state = devices[command.deviceID] ?? DeviceState()
        let effect: String
        var passcode: String? = nil
        switch command.action {
        case .lock:
            state.locked = true
            effect = "locked"
        case .resetPasscode:
            if command.secret == .temporaryPasscode {
                state.temporaryPasscodeSet = true
                effect = "temporary_passcode_set"
                passcode = Self.passcode(seed: configuration.seed, key: command.idempotencyKey)
            } else {
                state.passcodeCleared = true
                effect = "passcode_cleared"
            }
        }
        state.effects += 1
        devices[command.deviceID] = state
        // the effect is journalled before the answer: a crash after this line cannot make it happen twice
        journal?.append(["type": .string("effect"), "key": .string(command.idempotencyKey), "device_id": .string(command.deviceID),
                         "action": .string(command.action.rawValue), "effect": .string(effect), "channel": .string(channel)],
                        at: clock.date())
        let receipt = TransportReceipt(channel: channel, effect: effect)
        applied[command.idempotencyKey] = receipt
        return TransportReceipt(channel: channel, effect: effect,
                                secret: passcode.map { ServiceSecret(kind: .temporaryPasscode, value: $0) })
    }

    private func fault(_ command: DeviceCommand, status: Int, kind: String) {
        journal?.append(["type": .string("fault"), "key": .string(command.idempotencyKey), "device_id": .string(command.deviceID),
                         "status": .number(Double(status)), "kind": .string(kind)], at: clock.date())
    }

    /// Eight characters from an alphabet without look-alikes, derived from the seed and key.
    static func passcode(seed: UInt64, key: String) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SeededGenerator(seed: UInt64(SeededGenerator.unit(seed: seed, "passcode#" + key) * Double(UInt64.max >> 11)))
        return String((0..<8).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}

/// The mock's append-only JSONL journal. Each record is one `write(2)` to a file opened
/// with O_APPEND, so it survives the process being killed (not a power loss).
final class Journal: Sendable {
    private let fd: Int32
    let appliedKeys: [String: TransportReceipt]

    init(path: String) throws {
        var applied: [String: TransportReceipt] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: 0x0A) {
                guard let record = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line)),
                      record["type"] == .string("effect"),
                      case .string(let key)? = record["key"], case .string(let effect)? = record["effect"] else { continue }
                let channel = record["channel"]?.scalarText ?? ""
                applied[key] = TransportReceipt(channel: channel, effect: effect)
            }
        }
        appliedKeys = applied
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
        }
    }

    deinit { close(fd) }

    func append(_ record: [String: JSONValue], at date: Date) {
        var record = record
        record["t"] = .string(ISOTimestamp.formatMillis(date))
        let line = Array((JSONValue.object(record).canonicalText + "\n").utf8)
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }
}
