import ArgumentParser
import MDMBatchKit

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the platform rule set in force, as a table or as JSON.",
        discussion: """
            Shows, for every platform of the set, whether remote lock and passcode reset are supported and which \
            secret each makes (temporary passcode, unlock PIN), then the general rules and every reason code in the \
            order the checks run. Needs no database.

            EXAMPLES
              mdmbatch rules
              mdmbatch rules --rules intune-2025 --json
            """
    )

    @OptionGroup var rulesOption: RuleSetOption

    @Flag(name: .long, help: "Print the rule set as JSON data.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let document = RulesDocument(rules: rulesOption.inForce)
        print(json ? document.json : document.table)
    }
}

/// `--rules NAME`, for every command that applies the rules.
struct RuleSetOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The rule set: intune-2017 (the 2017 Intune page, the default) or intune-2025 (today's Intune).",
        valueName: "name"))
    var rules: RuleSet?

    /// Left out, the default set; a command that resumes a run uses the run's own instead.
    var inForce: RuleSet { rules ?? .default }
}

extension RuleSet: ExpressibleByArgument {
    public init?(argument: String) {
        guard let rules = RuleSet.named(argument) else { return nil }
        self = rules
    }

    public var defaultValueDescription: String { name }

    public static var allValueStrings: [String] { RuleSet.all.map(\.name) }

    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
