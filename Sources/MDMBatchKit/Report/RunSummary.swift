import Foundation

/// The counts of a run: the one model behind the text, JSON and HTML reports.
public struct RunSummary: Sendable, Equatable {
    public var requests = 0
    public var targets = 0
    public var accepted = 0
    public var rejected = 0
    public var byState: [DispatchState: Int] = [:]
    /// Platform (nil: the target resolved to no device) → state → count.
    public var byPlatform: [PlatformResolution?: [DispatchState: Int]] = [:]
    /// Rejections and skips, by reason.
    public var byReason: [ReasonCode: Int] = [:]
    /// Sent elements (the service accepted them) by what their device did: `done`,
    /// `pending`, …, or nil when nobody asked yet.
    public var byDeviceState: [DeviceActionState?: Int] = [:]
    /// Every element by (state, reason): what the text and HTML reports list the first rows of.
    public var byGroup: [ElementGroup: Int] = [:]
    public var attempts = 0
    /// From the first send to the last outcome.
    public var elapsedSeconds: Double?
    /// Dispatches that reached an outcome, per second of `elapsedSeconds`.
    public var throughputPerSecond: Double?
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyMaxMs: Double?

    public init() {}

    public func count(_ state: DispatchState) -> Int { byState[state] ?? 0 }

    /// Every request succeeded (or had already been done).
    public var allSucceeded: Bool {
        count(.rejected) + count(.failed) + count(.unknownOutcome) == 0 && open == 0
    }

    /// Succeeded elements nobody has confirmed on their device yet (nil when none): the
    /// service accepted them, which is not the device doing them.
    public var acceptedNotConfirmed: Int? {
        guard let count = byDeviceState[nil], count > 0 else { return nil }
        return count
    }

    /// Somebody asked the service what the devices did (`confirm`, `run --confirm`).
    public var confirmed: Bool { byDeviceState.keys.contains { $0 != nil } }

    /// Rows still waiting for an outcome.
    public var open: Int { DispatchState.open.reduce(0) { $0 + count($1) } }

    /// `byPlatform` as the reports list it: by name, `(no device)` first.
    public var platformsByName: [(name: String, states: [DispatchState: Int])] {
        byPlatform.map { (name: Self.name(of: $0.key), states: $0.value) }.sorted { $0.name < $1.name }
    }

    /// `android`, `unlisted`; `(no device)` for elements whose target resolved to no device.
    public static func name(of platform: PlatformResolution?) -> String { platform?.storedValue ?? "(no device)" }

    /// `done`, `notSupported`; `not_confirmed` for sent elements nobody asked about yet.
    public static func name(of deviceState: DeviceActionState?) -> String { deviceState?.rawValue ?? "not_confirmed" }

    /// The same for people: `not confirmed`.
    public static func label(of deviceState: DeviceActionState?) -> String { deviceState?.rawValue ?? "not confirmed" }
}
