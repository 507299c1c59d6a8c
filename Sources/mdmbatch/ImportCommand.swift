import ArgumentParser
import MDMBatchKit

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a users or devices inventory into the database (insert or update by key).",
        discussion: """
            The whole file or nothing: a malformed one is refused (exit 65, naming file:line:column) and the database is
            left as it was. Re-importing updates rows in place and reports inserted, updated and unchanged.

            EXAMPLES
              mdmbatch import users users.csv
              mdmbatch import devices devices.csv
              mdmbatch import devices intune-export.csv --format intune-csv
            """,
        subcommands: [ImportUsers.self, ImportDevices.self]
    )
}

extension ImportFormat: ExpressibleByArgument {}

/// The formats a users file may have.
enum UserImportFormat: String, ExpressibleByArgument, CaseIterable {
    case auto, csv, jsonl

    var format: ImportFormat { ImportFormat(rawValue: rawValue)! }
}

/// What both import subcommands share.
struct ImportArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("The file to import, or - for standard input.", valueName: "file"))
    var file: String

    @Flag(name: .long, help: "Import the valid rows and list each invalid one on stderr, instead of refusing the whole file.")
    var skipInvalid = false

    @OptionGroup var input: InputLimitOptions

    func run(kind: InventoryKind, format: ImportFormat, options: GlobalOptions) throws {
        try ExitStatus.guarding(options) {
            let database = try options.openDatabase(.createIfMissing)
            let logger = options.makeLogger()
            let summary = try InventoryImporter.run(
                ImportRequest(kind: kind, path: file, format: format, skipInvalid: skipInvalid, actor: options.osUser,
                              limits: input.limits),
                into: database,
                onSkip: { row in logger.warning("row skipped", metadata: ["at": "\(row.location)", "why": "\(row.message)"]) })
            if !options.quiet {
                print("""
                    \(TerminalText.escaped(summary.file)): \(summary.rows) \(kind.rawValue) (\(summary.format.rawValue)): \
                    \(summary.inserted) inserted, \(summary.updated) updated, \(summary.unchanged) unchanged, \
                    \(summary.skipped) skipped — import #\(summary.importID), sha256 \(summary.sha256.prefix(12))…
                    """)
            }
        }
    }
}

struct ImportUsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Import users: upn (required, unique regardless of case), display_name, email, department.",
        discussion: """
            CSV (RFC 4180, UTF-8, header matched ignoring case, spaces, _ and -) or JSONL with the same names.
            A bad file is refused whole (exit 65, naming file:line:column) unless --skip-invalid.

            EXAMPLES
              mdmbatch import users users.csv
              mdmbatch import users - --format jsonl < users.jsonl
            """
    )

    @OptionGroup var arguments: ImportArguments

    @Option(name: .long, help: "Input format.")
    var format: UserImportFormat = .auto

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try arguments.run(kind: .users, format: format.format, options: options)
    }
}

struct ImportDevices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Import devices from canonical CSV, an Intune admin center export, Graph JSON or JSONL.",
        discussion: """
            Canonical CSV columns: device_id and platform (required), device_name, serial_number, imei, os_version,
            management (mdm, eas, eas_mdm, software_client), primary_user_upn, enrolled_by_upn,
            passcode_set (true, false or empty), last_check_in (ISO 8601).
            intune-csv: the device export of the Intune admin center (Device ID, Device name, OS, OS version, …).
            graph-json: a Microsoft Graph managedDevice array, or {"value": [...]}.
            auto (the default) tells them apart from the content.
            Platforms and management values are normalised (the raw OS string is kept); `mdmbatch rules` shows the
            platform ids.
            A bad file is refused whole (exit 65, naming file:line:column) unless --skip-invalid.

            EXAMPLES
              mdmbatch import devices devices.csv
              mdmbatch import devices graph-export.json --format graph-json
              mdmbatch import devices intune-export.csv --skip-invalid
            """
    )

    @OptionGroup var arguments: ImportArguments

    @Option(name: .long, help: "Input format.")
    var format: ImportFormat = .auto

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try arguments.run(kind: .devices, format: format, options: options)
    }
}
