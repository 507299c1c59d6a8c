/// What a confirmation found, for people.
public enum ConfirmText {
    /// The device states found and what became of the secrets.
    public static func summary(_ outcome: Confirmation.Outcome) -> String {
        ([states(outcome)] + secrets(outcome)).joined(separator: "\n")
    }

    /// What became of the secrets, when there were any: what `run --confirm` adds under its
    /// report, which already counts the device states.
    public static func secretsSummary(_ outcome: Confirmation.Outcome) -> String? {
        let lines = secrets(outcome)
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private static func states(_ outcome: Confirmation.Outcome) -> String {
        let order: [DeviceActionState?] = [.done, .active, .pending, .failed, .notSupported, .canceled, nil]
        let states = order.compactMap { state -> String? in
            guard let count = outcome.byDeviceState[state], count > 0 else { return nil }
            return "\(RunSummary.label(of: state)) \(count)"
        }
        return "  on the devices: " + (states.isEmpty ? "nothing was sent" : states.joined(separator: " · "))
    }

    private static func secrets(_ outcome: Confirmation.Outcome) -> [String] {
        var lines: [String] = []
        if outcome.secretsDelivered > 0 {
            lines.append("  \(outcome.secretsDelivered) secret(s) collected from the service into the secrets file")
        }
        if outcome.secretsGone > 0 {
            lines.append("  \(outcome.secretsGone) secret(s) are no longer held by the service: reset those devices again "
                         + "with a new request_id to get new ones")
        }
        return lines
    }
}
