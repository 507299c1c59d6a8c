import ArgumentParser
import Foundation
import MDMBatchKit

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Register the customer tenants one database serves (service providers): add, list, show, remove.",
        discussion: """
            A database serves the operator's own tenant, `default`, until a customer tenant is registered. Each
            registered tenant has its own inventory (`import … --tenant NAME`), read with its own sign-in and pace.
            Only a credentials file's path is kept, never a secret; without one, the tenant signs in with the app of
            the environment (one multi-tenant app registration consented in each customer tenant).
            Every change is a row of the operator's audit chain; a signed database needs the signing key.

            EXAMPLES
              mdmbatch tenant add contoso --tenant-id 72f988bf-86f1-41af-91ab-2d7cd011db47
              mdmbatch tenant add fabrikam --tenant-id 0c2b0d2e-8d5d-4b43-9e5e-0d6b1f1b8c01 --credentials /etc/mdmbatch/fabrikam.json --rate 100/20
              mdmbatch tenant list
              mdmbatch tenant remove fabrikam
            """,
        subcommands: [TenantAdd.self, TenantList.self, TenantShow.self, TenantRemove.self]
    )
}

struct TenantAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register a customer tenant under a short name (creates the database when missing).",
        discussion: """
            NAME: 1 to 40 of a-z, 0-9 and - (not starting with -); `default` is reserved, and the name of a removed tenant
            is never given again. The tenant id is the customer's Entra tenant id (a GUID); a credentials file naming
            another tenant id is refused (78).
            """
    )

    @Argument(help: ArgumentHelp("The tenant's name in this database.", valueName: "name"))
    var name: String

    @Option(name: .customLong("tenant-id"), help: ArgumentHelp("The customer's Entra tenant id (a GUID).", valueName: "guid"))
    var tenantID: String

    @Option(name: .long, help: ArgumentHelp("""
        A credentials file (JSON, mode 0600) of an app for this tenant; only its path is kept. \
        Without it the app of the environment signs in to this tenant.
        """, valueName: "file"))
    var credentials: String?

    @Option(name: .long, help: ArgumentHelp("This tenant's Graph endpoint, with --authority-url (a national cloud, a simulator).",
                                            valueName: "url"))
    var graphURL: String?

    @Option(name: .long, help: ArgumentHelp("This tenant's sign-in authority, with --graph-url.", valueName: "url"))
    var authorityURL: String?

    @Option(name: .long, help: ArgumentHelp("This tenant's pace of writes, N/SECONDS (default: run --rate).", valueName: "n/s"))
    var rate: TenantPace?

    @Option(name: .long, help: ArgumentHelp("This tenant's pace of reads, N/SECONDS (default: --read-rate).", valueName: "n/s"))
    var readRate: TenantPace?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if (graphURL == nil) != (authorityURL == nil) { throw ValidationError("--graph-url and --authority-url go together") }
    }

    func run() throws {
        try ExitStatus.guarding(options) {
            var request = TenantAddRequest(name: name, tenantID: tenantID, actor: options.osUser)
            request.credentialsPath = credentials
            (request.graphURL, request.authorityURL) = (graphURL, authorityURL)
            (request.rate, request.readRate) = (rate?.policy, readRate?.policy)
            let tenant = try TenantRegistry.add(request, into: try options.openDatabase(.createIfMissing), at: Date())
            if !options.quiet {
                print("tenant \(tenant.name) added: \(tenant.tenantID), \(TenantText.signIn(tenant)), \(TenantText.pace(tenant))")
            }
        }
    }
}

struct TenantList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the registered tenants.")

    @Flag(name: .long, help: "Print the tenants as a JSON array.")
    var json = false

    @Flag(name: .long, help: "Include removed tenants.")
    var all = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let tenants = try TenantRegistry.list(try options.openDatabase(.mustExist), includingRemoved: all)
            if json {
                print(try TenantText.json(tenants))
            } else if tenants.isEmpty {
                print("no tenant registered: this database serves the operator's own tenant (default) only")
            } else {
                print(TenantText.table(tenants), terminator: "")
            }
        }
    }
}

struct TenantShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one tenant and what the database holds of it.")

    @Argument(help: ArgumentHelp("The tenant's name.", valueName: "name"))
    var name: String

    @Flag(name: .long, help: "Print the tenant as a JSON object.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let details = try TenantRegistry.show(name, in: try options.openDatabase(.mustExist))
            print(json ? try TenantText.json(details) : TenantText.details(details), terminator: json ? "\n" : "")
        }
    }
}

struct TenantRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a tenant: its inventory is deleted, its runs and audit chain kept, its name never reused.",
        discussion: "Refused (65) while an unfinished run holds elements of the tenant: finish or resume it first."
    )

    @Argument(help: ArgumentHelp("The tenant's name.", valueName: "name"))
    var name: String

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let removal = try TenantRegistry.remove(name, actor: options.osUser, from: try options.openDatabase(.mustExist), at: Date())
            if !options.quiet {
                print("tenant \(removal.tenant.name) removed: \(removal.devicesRemoved) devices and \(removal.usersRemoved) users deleted; its runs and audit chain are kept")
            }
        }
    }
}

/// `N/SECONDS`: a tenant's pace is a limit, never `off` (leave it out to use the run's).
struct TenantPace: ExpressibleByArgument, Sendable {
    var policy: RatePolicy

    init?(argument: String) {
        guard let parsed = RatePolicy.parse(argument), let policy = parsed else { return nil }
        self.policy = policy
    }
}
