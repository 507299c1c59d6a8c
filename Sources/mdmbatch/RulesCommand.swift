import ArgumentParser
import MDMBatchKit

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the platform matrix in force (RULES.md), as a table or as JSON."
    )

    @Flag(name: .long, help: "Print the matrix as JSON data.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let rules = RuleSet.intune2017
        let matrix = RulesMatrix(rules: rules)
        print(json ? matrix.json : matrix.table)
    }
}

/// The matrix of a rule set, for people and for programs.
struct RulesMatrix {
    let rules: RuleSet

    var table: String {
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
        var lines = ["Rule set \(rules.name) — \(rules.source)", "",
                     pad("PLATFORM", 18) + pad("LOCK", 50) + "RESET_PASSCODE"]
        for platform in rules.platforms {
            let lock = rules.cell(platform, .lock), reset = rules.cell(platform, .resetPasscode)
            lines.append(pad(platform.rawValue, 18) + pad(describe(lock), 50) + describe(reset))
        }
        lines.append(pad("anything else", 18) + pad("unlisted (not supported)", 50) + "unlisted (not supported)")
        lines += ["",
                  "Also: never on PCs managed by the Intune software client; lock needs a passcode already set;",
                  "devices stale after \(rules.staleAfterDays) days without check-in get a warning.",
                  "Checks run in the order of RULES.md; the first that fails gives the reason:"]
        for reason in ReasonCode.allCases { lines.append("  \(pad(reason.rawValue, 28))\(reason.rule)") }
        return lines.joined(separator: "\n")
    }

    private func describe(_ cell: RuleCell) -> String {
        let support: String
        switch cell.support {
        case .supported: support = "yes"
        case .unsupported: support = "no"
        case .sameUserAsEnrolled: support = "if current user = enrolling user"
        case .versionBelow7: support = "if OS version < 7.0"
        case .unlisted: support = "unlisted (not supported)"
        }
        return cell.temporaryPasscode ? support + ", temporary passcode" : support
    }

    var json: String {
        var platforms: [String] = []
        for platform in rules.platforms {
            let actions = Action.allCases.map { action -> String in
                let cell = rules.cell(platform, action)
                return "\"\(action.rawValue)\": {\"support\": \"\(cell.support.rawValue)\", \"temporary_passcode\": \(cell.temporaryPasscode), \"note\": \(JSONText.quote(cell.note))}"
            }
            platforms.append("    \"\(platform.rawValue)\": {\(actions.joined(separator: ", "))}")
        }
        let reasons = ReasonCode.allCases.map { "    {\"code\": \"\($0.rawValue)\", \"rule\": \(JSONText.quote($0.rule))}" }
        return """
            {
              "rule_set": \(JSONText.quote(rules.name)),
              "source": \(JSONText.quote(rules.source)),
              "default": "unlisted",
              "stale_after_days": \(rules.staleAfterDays),
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
