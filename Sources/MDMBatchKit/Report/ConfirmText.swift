/// What a confirmation found, for people.
public enum ConfirmText {
    public static func summary(_ outcome: Confirmation.Outcome) -> String {
        let order: [DeviceActionState?] = [.done, .active, .pending, .failed, .notSupported, .canceled, nil]
        let states = order.compactMap { state -> String? in
            guard let count = outcome.byDeviceState[state], count > 0 else { return nil }
            return "\(state?.rawValue ?? "not confirmed") \(count)"
        }
        var lines = ["  on the devices: " + (states.isEmpty ? "nothing was sent" : states.joined(separator: " · "))]
        if outcome.secretsDelivered > 0 {
            lines.append("  \(outcome.secretsDelivered) secret(s) collected from the service into the secrets file")
        }
        if outcome.secretsGone > 0 {
            lines.append("  \(outcome.secretsGone) secret(s) are no longer held by the service: reset those devices again "
                         + "with a new request_id to get new ones")
        }
        return lines.joined(separator: "\n")
    }
}
