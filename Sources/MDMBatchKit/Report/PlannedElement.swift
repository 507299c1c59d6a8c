/// What the plan and the run report show of a (request, device) before anything is sent:
/// the plan element of DESIGN.md ("Plan / report JSON"). A `PlanItem` is one as the rules
/// made it; a `ReportElement` holds the same fields of its own, as read back from its row.
public protocol PlannedElement {
    var line: Int { get }
    var requestID: String? { get }
    /// The action's canonical name when valid, else the text as written.
    var actionName: String { get }
    var target: String { get }
    var deviceID: String? { get }
    /// The device's platform under the rule set in force; nil when the target resolved to no device.
    var platform: PlatformResolution? { get }
    var planVerdict: PlanVerdict { get }
    /// Why it is rejected or skipped.
    var reason: ReasonCode? { get }
    var warnings: [Warning] { get }
    /// The secret it makes when it is sent; nil when it is not to be sent.
    var secret: SecretKind? { get }
    /// More about the reason (e.g. the device ids of an ambiguous serial).
    var detail: String? { get }
}

extension PlanItem: PlannedElement {
    public var warnings: [Warning] { verdict.warnings }
    public var detail: String? { verdict.detail }
}

extension PlannedElement {
    /// LINE, REQUEST, ACTION, TARGET, DEVICE and PLATFORM, padded: the columns every text
    /// list of elements starts with.
    var textColumns: String {
        func cell(_ text: String?, _ width: Int) -> String { TerminalText.cell(text, width) }
        return cell(String(line), 6) + " " + cell(requestID, 12) + " " + cell(actionName, 15) + " " + cell(target, 26)
            + " " + cell(deviceID, 14) + " " + cell(platform?.storedValue, 17)
    }

    /// The same columns as the cells of an HTML row (not yet escaped).
    var htmlCells: [String] {
        [String(line), requestID ?? "", actionName, target, deviceID ?? "", platform?.storedValue ?? ""]
    }
}
