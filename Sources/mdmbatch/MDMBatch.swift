import ArgumentParser
import MDMBatchKit
#if canImport(Glibc)
import Glibc
#endif

@main
struct MDMBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mdmbatch",
        abstract: "Send remote lock and passcode reset to fleets of managed devices, in checked, resumable, audited batches.",
        discussion: """
            Load your inventories with `import`, check a batch with `plan` (a dry run), then send it with `run`.
            Every command takes --db PATH (default: $MDMBATCH_DB, else ./mdmbatch.sqlite); `import` and `run` create the
            database and its schema on first use, the other commands need an existing one.

            Exit status: 0 done; 1 some requests rejected or failed; 64 usage; 65 malformed input (nothing written);
            66 input missing or unreadable; 73 cannot write an output file; 74 database I/O error; 75 try again later;
            77 the service refused the sign-in or a permission; 78 configuration error; 70 internal error.

            EXAMPLES
              mdmbatch import devices devices.csv
              mdmbatch plan lost.csv
              mdmbatch run lost.csv --passcodes-out passcodes.csv
              mdmbatch status
            """,
        version: MDMBatchVersion.current,
        subcommands: [ImportCommand.self, PlanCommand.self, RunCommand.self, ConfirmCommand.self, RunSpoolCommand.self, StatusCommand.self, ReportCommand.self,
                      AuditCommand.self, TenantCommand.self,
                      RulesCommand.self]
    )

    static func main() async {
        umask(0o077)  // database, journals, reports and passcode files: owner only
        AppDatabase.configureProcess()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
