/// A rule set written out: a table for people and JSON data for programs
/// (`mdmbatch rules [--rules NAME] [--json]`).
public struct RulesDocument: Sendable {
    public let rules: RuleSet

    public init(rules: RuleSet) {
        self.rules = rules
    }

    /// The matrix, the general rules and the reason codes in evaluation order.
    public var table: String {
        let header = ["PLATFORM", "TOLD BY", "LOCK", "RESET_PASSCODE"]
        var rows = rules.rows.map { [$0.platform.rawValue, $0.toldBy, Self.describe($0.lock), Self.describe($0.resetPasscode)] }
        rows.append(["anything else", "", Self.describe(.notListed), Self.describe(.notListed)])
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! + 2 }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() {
                text += column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            return text
        }

        var lines = ["Rule set \(rules.name)"]
        lines += rules.sources.count == 1 ? ["Source: " + rules.sources[0]] : ["Sources:"] + rules.sources.map { "  " + $0 }
        lines.append("")
        lines.append(line(header))
        lines += rows.map(line)
        lines += ["", "A secret (temporary passcode, unlock PIN) is shown once, in the secrets file, and never stored; "
                  + "a reset that makes none (iOS) clears the passcode."]
        lines += ["", "General rules:"]
        lines += rules.generalRules.map { "  - " + $0 }
        lines.append("  - A device without a check-in for more than \(rules.staleAfterDays) days gets a warning (stale_device); "
                     + "so do an unknown passcode state and an unknown management.")
        lines += ["", "Checks run in this order; the first that fails gives the single reason:"]
        let width = rules.reasons.map(\.code.rawValue.count).max()! + 2
        for reason in rules.reasons where reason.check != nil {
            lines.append("  " + reason.code.rawValue + String(repeating: " ", count: width - reason.code.rawValue.count) + reason.rule)
        }
        lines += ["Skipped at run time (no rule check):"]
        for reason in rules.reasons where reason.check == nil {
            lines.append("  " + reason.code.rawValue + String(repeating: " ", count: width - reason.code.rawValue.count) + reason.rule)
        }
        return lines.joined(separator: "\n")
    }

    /// A cell in a few words, with the secret it makes.
    static func describe(_ cell: RuleCell) -> String {
        let support = switch cell.support {
        case .supported: "yes"
        case .unsupported: "no"
        case .sameUserAsEnrolled: "if current user = enrolling user"
        case .versionBelow7: "if OS version < 7.0"
        case .versionAtLeast2: "if OS version >= 2.0"
        case .unlisted: "unlisted (not supported)"
        }
        switch cell.secret {
        case .temporaryPasscode: return support + ", temporary passcode"
        case .unlockPIN: return support + ", unlock PIN"
        case nil: return support
        }
    }

    /// The set as JSON data: `rule_set`, `source`, `platforms` (per action `support`,
    /// `secret`, `temporary_passcode`, `needs_passcode`, `note`) and `reasons` in
    /// evaluation order.
    public var json: String {
        func strings(_ values: [String]) -> String { "[" + values.map { JSONText.quote($0) }.joined(separator: ", ") + "]" }
        let platforms = rules.rows.map { row in
            let actions = Action.allCases.map { action -> String in
                let cell = row.cell(action)
                return "\"\(action.rawValue)\": {\"support\": \"\(cell.support.rawValue)\", "
                    + "\"secret\": \(JSONText.quote(cell.secret?.rawValue)), \"temporary_passcode\": \(cell.temporaryPasscode), "
                    + "\"needs_passcode\": \(cell.needsPasscode), \"note\": \(JSONText.quote(cell.note))}"
            }
            return "    \"\(row.platform.rawValue)\": {\(actions.joined(separator: ", "))}"
        }
        let toldBy = rules.rows.map { "    \"\($0.platform.rawValue)\": \(JSONText.quote($0.toldBy))" }
        let reasons = rules.reasons.map { reason in
            "    {\"check\": \(reason.check.map(String.init) ?? "null"), \"code\": \"\(reason.code.rawValue)\", "
                + "\"rule\": \(JSONText.quote(reason.rule))}"
        }
        return """
            {
              "rule_set": \(JSONText.quote(rules.name)),
              "source": \(JSONText.quote(rules.source)),
              "sources": \(strings(rules.sources)),
              "default": "unlisted",
              "stale_after_days": \(rules.staleAfterDays),
              "unlock_pin_outstanding_days": \(rules.unlockPINOutstandingDays.map(String.init) ?? "null"),
              "general_rules": \(strings(rules.generalRules)),
              "platform_order": \(strings(rules.platforms.map(\.rawValue))),
              "told_by": {
            \(toldBy.joined(separator: ",\n"))
              },
              "platforms": {
            \(platforms.joined(separator: ",\n"))
              },
              "reasons": [
            \(reasons.joined(separator: ",\n"))
              ]
            }
            """
    }
}
