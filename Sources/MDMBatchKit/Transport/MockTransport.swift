import Foundation

/// Settings of the mock service.
public struct MockTransportConfiguration: Sendable, Equatable {
    /// Mean latency of a call; each call takes between half and one and a half of it.
    public var latencyMs: Double = 0
    /// Share of attempts that fail transiently (503, 429, or a timeout).
    public var transientRate: Double = 0
    /// Share of attempts that fail for good (404, 409, 400).
    public var permanentRate: Double = 0
    /// Seed of latency, faults and device delays (never of secrets).
    public var seed: UInt64 = 1
    /// Beyond this rate the service answers 429 with a Retry-After, as the real one does.
    public var throttle: RatePolicy?
    /// The JSONL journal of every send and every effect (no secret); nil: no journal.
    public var journalPath: String?
    /// What the service remembers (actions received, device states, the secrets it holds),
    /// 0600, surviving a crash; nil: memory only in this process.
    public var memoryPath: String?
    /// Mean time a device takes to carry out an action (pending → active → done).
    public var deviceDelayMs: Double = 1000
    /// Share of actions the device fails (seeded).
    public var deviceFailureRate: Double = 0
    /// How long the service holds a secret (Graph: 7 days).
    public var secretLifetime: Double = 7 * 86_400

    public init(latencyMs: Double = 0, transientRate: Double = 0, permanentRate: Double = 0, seed: UInt64 = 1,
                throttle: RatePolicy? = nil, journalPath: String? = nil, memoryPath: String? = nil,
                deviceDelayMs: Double = 1000, deviceFailureRate: Double = 0, secretLifetime: Double = 7 * 86_400) {
        self.latencyMs = latencyMs
        self.transientRate = transientRate
        self.permanentRate = permanentRate
        self.seed = seed
        self.throttle = throttle
        self.journalPath = journalPath
        self.memoryPath = memoryPath
        self.deviceDelayMs = deviceDelayMs
        self.deviceFailureRate = deviceFailureRate
        self.secretLifetime = secretLifetime
    }
}

/// A stand-in for the device-management service. It delivers over each platform's
/// channel, injects seeded latency and faults, honours idempotency keys, and remembers
/// what a service would (the actions it received, how each device is carrying them out,
/// the secrets it holds for a while) in its own 0600 file, so that it answers after a
/// crash as the real one would. It appends every send and every effect to a JSONL journal
/// before it answers — never a secret. Secrets come from the system's secure random
/// generator; the seed steers latency, faults and device delays only.
public actor MockTransport: DeviceActionTransport {
    private let configuration: MockTransportConfiguration
    private let clock: any EngineClock
    private let journal: AppendOnlyFile?
    private let memoryFile: AppendOnlyFile?
    private var memory: [String: MockAction] = [:]
    private var throttleWindow: SlidingWindow?
    /// Sends received (all attempts, replays included).
    public private(set) var sends = 0
    /// Effects per device: what reached each device (replays excluded).
    public private(set) var effects: [String: [String]] = [:]

    public init(configuration: MockTransportConfiguration, clock: any EngineClock) throws {
        self.configuration = configuration
        self.clock = clock
        throttleWindow = configuration.throttle.map(SlidingWindow.init(policy:))
        journal = try configuration.journalPath.map { try AppendOnlyFile.create($0) }
        if let path = configuration.memoryPath {
            memory = MockAction.load(path)
            memoryFile = try AppendOnlyFile.create(path)
        } else {
            memoryFile = nil
        }
    }

    /// The latency is spent before the call enters the actor: the network, not the service,
    /// and no hop back onto the actor after the wait.
    /// The mock remembers an action the moment it acts: absence is proof at once.
    public nonisolated var showsActionsAtOnce: Bool { true }

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
                         "channel": .string(channel), "client_request_id": .string(command.attemptID)], at: clock.date())

        if var window = throttleWindow {
            let now = clock.now()
            let allowed = window.earliest(after: now)
            if allowed > now {
                fault(command, status: 429, kind: "throttled")
                throw TransportError.throttled(retryAfter: String(format: "%.3f", allowed - now), message: "Too Many Requests")
            }
            window.record(at: now)
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
                throw TransportError.throttled(retryAfter: "1", message: "Too Many Requests")
            } else {
                // a timeout: half the time the service acted before the answer was lost
                if kind >= 0.9 { _ = apply(command, channel: channel) }
                fault(command, status: 504, kind: "timeout")
                throw TransportError.unknownOutcome(message: "timed out waiting for the service")
            }
        }
        return apply(command, channel: channel)
    }

    /// What the service remembers of an action: received or not, its state on the device
    /// now, and its secret while the service holds it.
    public func lookup(_ query: ActionQuery) async -> ActionLookup {
        guard let action = memory[query.idempotencyKey] else { return .notReceived }
        let now = clock.date().timeIntervalSince1970
        let elapsed = now - action.receivedAt
        let state: DeviceActionState
        if elapsed < action.doneAfter / 3 { state = .pending }
        else if elapsed < action.doneAfter { state = .active }
        else { state = action.fails ? .failed : .done }
        let held = now < action.receivedAt + configuration.secretLifetime
        let secret = query.secret != nil && held ? action.secret : nil
        return .received(ActionReport(
            state: state, startedAt: Date(timeIntervalSince1970: action.receivedAt),
            updatedAt: Date(timeIntervalSince1970: action.receivedAt + min(elapsed, action.doneAfter)), secret: secret,
            secretGone: query.secret != nil && action.secret != nil && !held))
    }

    /// Does what the command asks, once per idempotency key.
    private func apply(_ command: DeviceCommand, channel: String) -> TransportReceipt {
        if memory[command.idempotencyKey] != nil {
            journal?.append(["type": .string("replay"), "key": .string(command.idempotencyKey),
                             "device_id": .string(command.deviceID)], at: clock.date())
            return TransportReceipt(channel: channel, effect: "replayed", replayed: true)
        }
        let effect: String
        switch (command.action, command.secret) {
        case (.lock, .unlockPIN?): effect = "locked_with_unlock_pin"
        case (.lock, _): effect = "locked"
        case (.resetPasscode, .temporaryPasscode?): effect = "temporary_passcode_set"
        case (.resetPasscode, _): effect = "passcode_cleared"
        }
        let secret = command.secret.map { ServiceSecret(kind: $0, value: Self.makeSecret($0)) }
        let delay = configuration.deviceDelayMs / 1000
            * (0.5 + SeededGenerator.unit(seed: configuration.seed, "device#\(command.idempotencyKey)"))
        let action = MockAction(key: command.idempotencyKey, deviceID: command.deviceID, action: command.action,
                                receivedAt: clock.date().timeIntervalSince1970, doneAfter: delay,
                                fails: SeededGenerator.unit(seed: configuration.seed, "fails#\(command.idempotencyKey)")
                                    < configuration.deviceFailureRate,
                                secret: secret)
        // remembered, then journalled, before the answer: a crash after this line cannot make it happen twice
        memoryFile?.append(action.record, at: clock.date())
        memory[command.idempotencyKey] = action
        effects[command.deviceID, default: []].append(effect)
        journal?.append(["type": .string("effect"), "key": .string(command.idempotencyKey), "device_id": .string(command.deviceID),
                         "action": .string(command.action.rawValue), "effect": .string(effect), "channel": .string(channel)],
                        at: clock.date())
        return TransportReceipt(channel: channel, effect: effect, secret: secret)
    }

    private func fault(_ command: DeviceCommand, status: Int, kind: String) {
        journal?.append(["type": .string("fault"), "key": .string(command.idempotencyKey), "device_id": .string(command.deviceID),
                         "status": .number(Double(status)), "kind": .string(kind)], at: clock.date())
    }

    /// A temporary passcode: eight characters without look-alikes; an unlock PIN: six
    /// digits. From the system's secure random generator.
    static func makeSecret(_ kind: SecretKind) -> String {
        var generator = SystemRandomNumberGenerator()
        switch kind {
        case .temporaryPasscode:
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        case .unlockPIN:
            return String((0..<6).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
        }
    }
}

/// An action the mock service received, as it remembers it.
struct MockAction: Sendable, Equatable {
    var key: String
    var deviceID: String
    var action: Action
    /// Seconds since 1970.
    var receivedAt: Double
    /// Seconds the device takes to carry it out.
    var doneAfter: Double
    var fails: Bool
    var secret: ServiceSecret?

    var record: [String: JSONValue] {
        var record: [String: JSONValue] = [
            "type": .string("received"), "key": .string(key), "device_id": .string(deviceID), "action": .string(action.rawValue),
            "received_at": .number(receivedAt), "done_after_s": .number(doneAfter), "fails": .bool(fails),
        ]
        if let secret {
            record["secret_kind"] = .string(secret.kind.rawValue)
            record["secret"] = .string(secret.value)
        }
        return record
    }

    /// The actions a memory file holds (unreadable lines, e.g. one cut by a crash, are skipped).
    static func load(_ path: String) -> [String: MockAction] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var actions: [String: MockAction] = [:]
        for line in data.split(separator: 0x0A) {
            guard let record = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line)),
                  record["type"] == .string("received"),
                  case .string(let key)? = record["key"], case .string(let device)? = record["device_id"],
                  case .string(let name)? = record["action"], let action = Action(rawValue: name),
                  case .number(let received)? = record["received_at"], case .number(let delay)? = record["done_after_s"] else {
                continue
            }
            var secret: ServiceSecret?
            if case .string(let kind)? = record["secret_kind"], let kind = SecretKind(rawValue: kind),
               case .string(let value)? = record["secret"] {
                secret = ServiceSecret(kind: kind, value: value)
            }
            actions[key] = MockAction(key: key, deviceID: device, action: action, receivedAt: received, doneAfter: delay,
                                      fails: record["fails"] == .bool(true), secret: secret)
        }
        return actions
    }
}

extension AppendOnlyFile {
    /// Opens the file, or says why it cannot be created.
    static func create(_ path: String) throws -> AppendOnlyFile {
        do {
            return try AppendOnlyFile(path: path)
        } catch {
            throw OutputFileError.cannotCreate(error.path, error.reason)
        }
    }

    /// One record, its time (`t`) added.
    func append(_ record: [String: JSONValue], at date: Date) {
        var record = record
        record["t"] = .string(ISOTimestamp.formatMillis(date))
        append(JSONValue.object(record).canonicalText)
    }
}
