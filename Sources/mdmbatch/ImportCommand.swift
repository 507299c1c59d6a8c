import ArgumentParser
import Foundation
import Logging
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

/// What both import subcommands share: a file, or the tenant itself (`--from-graph`).
struct ImportArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("The file to import, or - for standard input (none with --from-graph).", valueName: "file"))
    var file: String?

    @Flag(name: .long, help: "Import the valid rows and list each invalid one on stderr, instead of refusing the whole file.")
    var skipInvalid = false

    @Flag(name: .long, help: """
        Read the inventory from Microsoft Graph instead of a file: every page, all or nothing \
        (permission DeviceManagementManagedDevices.Read.All for devices, User.Read.All for users).
        """)
    var fromGraph = false

    @Option(name: .long, help: ArgumentHelp("With --from-graph: graph, the only service an inventory is read from "
                                            + "(accepted as run takes it).", valueName: "kind"))
    var transport: TransportSettings.Kind?

    @OptionGroup var graph: GraphOptions

    @Option(name: .long, help: ArgumentHelp("""
        With --from-graph: give up reading (exit 75, nothing imported) once this long has passed: 90s, 30m, 2h. \
        Without it, pages the service throttles (429) are asked for again until it answers.
        """, valueName: "duration"))
    var maxRunTime: Span?

    @Option(name: .long, parsing: .unconditional, help: """
        With --from-graph: attempts per page that fails (a 5xx, a timeout), the first included (1 to 100); 429s and \
        the circuit breaker's probes do not count.
        """)
    var maxAttempts = 5

    @Option(name: .long, help: ArgumentHelp("""
        The registered tenant whose inventory this is (mdmbatch tenant list); without it, the operator's own (default). \
        With --from-graph, read with that tenant's app, endpoints and pace.
        """, valueName: "name"))
    var tenant: String?

    @Flag(name: .long, help: """
        With --from-graph: import every registered tenant's inventory, each all or nothing on its own, one line a tenant; \
        a tenant that fails is named and the others are kept. Exit status: the first of 77, 75, 65 that a tenant got, \
        1 for any other failure, else 0.
        """)
    var allTenants = false

    @OptionGroup var input: InputLimitOptions

    func validate() throws {
        if allTenants && !fromGraph { throw ValidationError("--all-tenants goes with --from-graph") }
        if allTenants && tenant != nil { throw ValidationError("give --tenant or --all-tenants, not both") }
        if let tenant, !TenantName.isValid(tenant) { throw ValidationError(TenantError.invalidName(tenant).localizedDescription) }
        if fromGraph && file != nil { throw ValidationError("give a file or --from-graph, not both") }
        if !fromGraph && file == nil { throw ValidationError("missing the file to import (or --from-graph)") }
        if !fromGraph && maxRunTime != nil { throw ValidationError("--max-run-time goes with --from-graph") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100, not \(maxAttempts)") }
        if let transport {
            guard fromGraph else { throw ValidationError("--transport goes with --from-graph") }
            guard transport == .graph else { throw ValidationError("--from-graph reads Microsoft Graph: --transport graph, not \(transport.rawValue)") }
        }
    }

    func run(kind: InventoryKind, format: ImportFormat, beta: Bool = false, betaURL: String? = nil,
             options: GlobalOptions) async throws {
        try await ExitStatus.guardingAsync(options) {
            let logger = options.makeLogger()
            let tenantName = try tenant.map { try TenantName($0) }
            // a tenant's inventory goes into a database that registered it: none is created for it
            let mode: AppDatabase.OpenMode = tenantName == nil || tenantName!.isOperator ? .createIfMissing : .mustExist
            let summary: ImportSummary
            if fromGraph {
                var request = GraphImportRequest(kind: kind, transport: TransportRequest(), actor: options.osUser)
                graph.apply(to: &request.transport)
                (request.beta, request.betaURL) = (beta, betaURL)
                request.maxAttempts = maxAttempts
                request.maxRunTime = maxRunTime?.seconds
                request.limits = input.limits
                request.tenant = tenantName
                let transports = graph.factory(concurrency: 4, clock: SystemClock(), logger: logger)
                if allTenants {
                    let imports = try await GraphInventory.importAllTenants(
                        request, transports: transports, database: try options.openDatabase(.mustExist))
                    for (tenant, result) in imports.outcomes {
                        switch result {
                        case .success(let summary): say(summary, kind: kind, logger: logger, options: options)
                        case .failure(let error):
                            Console.error("mdmbatch: tenant \(tenant): \(TerminalText.escaped(error.localizedDescription)) — nothing imported for it")
                        }
                    }
                    return try ExitStatus.finish(imports, options)
                }
                summary = try await GraphInventory.importInventory(
                    request, transports: transports, openDatabase: { try options.openDatabase(mode) })
            } else {
                let database = try options.openDatabase(mode)
                var request = ImportRequest(kind: kind, path: file ?? "-", format: format, skipInvalid: skipInvalid, actor: options.osUser,
                                            limits: input.limits)
                request.tenant = tenantName
                summary = try InventoryImporter.run(
                    request, into: database,
                    onSkip: { row in logger.warning("row skipped", metadata: ["at": "\(row.location)", "why": "\(row.message)"]) })
            }
            say(summary, kind: kind, logger: logger, options: options)
        }
    }

    /// The line an import prints (a tenant's import names the tenant first), and the Android notice.
    private func say(_ summary: ImportSummary, kind: InventoryKind, logger: Logger, options: GlobalOptions) {
        if !options.quiet {
            let tenant = summary.tenant.flatMap { $0.isOperator ? nil : "tenant \($0): " } ?? ""
            print("""
                \(tenant)\(TerminalText.escaped(summary.file)): \(summary.rows) \(kind.rawValue) (\(summary.format.rawValue)): \
                \(summary.inserted) inserted, \(summary.updated) updated, \(summary.unchanged) unchanged, \
                \(summary.skipped) skipped — import #\(summary.importID), sha256 \(summary.sha256.prefix(12))…
                """)
        }
        // safe (today's rules refuse them) but never silent; --quiet keeps it quiet like every notice
        if let notice = summary.androidWithoutEnrollment.flatMap(EnrollmentNotice.afterImport) {
            logger.notice("\(notice)")
        }
    }
}

struct ImportUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Import users: upn (required, unique regardless of case), display_name, email, department.",
        discussion: """
            CSV (RFC 4180, UTF-8, header matched ignoring case, spaces, _ and -) or JSONL with the same names.
            A bad file is refused whole (exit 65, naming file:line:column) unless --skip-invalid.

            EXAMPLES
              mdmbatch import users users.csv
              mdmbatch import users - --format jsonl < users.jsonl
              mdmbatch import users --from-graph --credentials /etc/mdmbatch/graph.json
            """
    )

    @OptionGroup var arguments: ImportArguments

    @Option(name: .long, help: "Input format.")
    var format: UserImportFormat = .auto

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await arguments.run(kind: .users, format: format.format, options: options)
    }
}

struct ImportDevices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Import devices from canonical CSV, an Intune admin center export, Graph JSON or JSONL.",
        discussion: """
            Canonical CSV columns: device_id and platform (required), device_name, serial_number, imei, os_version,
            management (\(Management.allCases.map(\.rawValue).joined(separator: ", "))), primary_user_upn, enrolled_by_upn,
            passcode_set (true, false or empty), last_check_in (ISO 8601),
            enrollment (Android only: \(Enrollment.allCases.map(\.rawValue).joined(separator: ", ")), or empty for unknown).
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
              mdmbatch import devices --from-graph --credentials /etc/mdmbatch/graph.json --graph-beta-fields
            """
    )

    @OptionGroup var arguments: ImportArguments

    @Option(name: .long, help: "Input format.")
    var format: ImportFormat = .auto

    @Flag(name: .long, help: """
        With --from-graph: read the devices from Graph's beta endpoint, for enrolledByUserPrincipalName \
        and the Android values of deviceEnrollmentType (without it the stored enrolled_by_upn stays as it is, \
        and v1.0 names no Android enrollment).
        """)
    var graphBetaFields = false

    @Option(name: .long, help: ArgumentHelp("With --graph-beta-fields: the beta endpoint (default: --graph-url with v1.0 replaced by beta).",
                                            valueName: "url"))
    var graphBetaURL: String?

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await arguments.run(kind: .devices, format: format, beta: graphBetaFields, betaURL: graphBetaURL, options: options)
    }
}
