/// The state of an action on the device, as the service reports it (Graph `actionState`).
public enum DeviceActionState: String, Sendable, Codable, CaseIterable {
    case pending, active, done, failed
    case notSupported = "notSupported"
    case canceled

    /// No further change will come.
    public var isFinal: Bool {
        switch self {
        case .done, .failed, .notSupported, .canceled: true
        case .pending, .active: false
        }
    }
}
