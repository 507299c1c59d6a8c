import ArgumentParser
import Foundation
import GraphSimulator
import Logging
import MDMBatchShared

/// `graph-sim`: Microsoft Graph (Intune) and Entra's token endpoint on loopback, for
/// mdmbatch's tests, demo and benchmarks.
@main
struct GraphSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph-sim",
        abstract: "Imitate Microsoft Graph (Intune) and its sign-in on 127.0.0.1, for tests, demos and benchmarks.",
        discussion: """
            Serves Entra's token endpoint (POST /{tenant}/oauth2/v2.0/token) and, under /v1.0 and /beta, \
            GET /deviceManagement/managedDevices and …/managedDevices/{id}, POST …/managedDevices/{id}/remoteLock \
            and …/resetPasscode, and GET /users, over a fleet loaded from any inventory file mdmbatch imports. \
            The first line on standard output is `listening on http://127.0.0.1:PORT`; logs go to standard error; \
            SIGINT or SIGTERM stops it. --realistic makes it as harsh as Intune (results that lag, faults after \
            the action took effect, other apps spending the tenant's write budget, refusals without a reason, a \
            second Mac lock accepted and then failed).

            Several tenants: --tenant ID=FILE[,users=FILE] or --tenant ID=size=N, once for each, beside or instead \
            of --fleet; each token works in its own tenant only; --deny-permission TENANT:NAME and --refuse-sign-in \
            TENANT@FROM-TO act on one tenant.

            Examples:
              graph-sim --fleet samples/devices.csv --users samples/users.csv --journal sim.jsonl \\
                --app 11111111-2222-3333-4444-555555555555:certificate=app.cert.pem
              graph-sim --tenant contoso=a.csv,users=a-users.csv --tenant fabrikam=size=400 --realistic \\
                --refuse-sign-in fabrikam@0-30 --app 11111111-2222-3333-4444-555555555555:secret-file=secret.txt

            Exit status: 0 stopped by a signal; 64 usage; 65 malformed fleet, users, secret or certificate file; \
            66 a file missing or unreadable; 73 the journal cannot be opened; 70 the port cannot be bound, or an \
            internal error.
            """
    )

    @OptionGroup(title: "Tenants and their fleets") var fleet: FleetOptions
    @OptionGroup(title: "Network") var network: NetworkOptions
    @OptionGroup(title: "Sign-in and permissions") var signIn: SignInOptions
    @OptionGroup(title: "Devices") var devices: DeviceOptions
    @OptionGroup(title: "Throttling (Intune's limits, sliding windows)") var throttling: ThrottleOptions
    @OptionGroup(title: "Faults and latency (seeded)") var faults: FaultOptions
    @OptionGroup(title: "As harsh as Intune (seeded)") var realism: RealismOptions

    @Option(help: ArgumentHelp("Append every request and every effect to FILE, one JSON object a line (mode 0600; no secrets).",
                               valueName: "FILE"))
    var journal: String?

    @Option(help: "How much to log on standard error.")
    var logLevel: Logger.Level = .notice

    func validate() throws {
        // the options' own checks: the fleets and tenants (FleetOptions.validate), the flags naming tenants
        var configuration = SimConfiguration()
        try signIn.apply(to: &configuration, tenants: fleet.served, loadingApps: false)
    }

    func run() async throws {
        umask(0o077)  // the journal: owner only
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "graph-sim")
        var configuration = SimConfiguration()
        let added = try fleet.added()
        configuration.tenant = fleet.primary ?? added[0].id
        configuration.journalTenant = !added.isEmpty
        try signIn.apply(to: &configuration, tenants: fleet.served)
        try devices.apply(to: &configuration)
        try throttling.apply(to: &configuration)
        try realism.apply(to: &configuration)  // before the faults: theirs win over what --realistic set
        try faults.apply(to: &configuration)

        var specs = added
        if let primary = fleet.primary {
            let source: FleetSource = fleet.fleetSize.map { .synthetic(count: $0) } ?? .file(devices: fleet.fleet!,
                                                                                            users: fleet.users)
            specs.insert(TenantSpec(id: primary, fleet: source), at: 0)
        }
        var tenants: [ServedTenant] = []
        for spec in specs {
            let started = ContinuousClock.now
            let loaded: Fleet
            do {
                loaded = try spec.load(seed: configuration.seed(forTenant: spec.id))
            } catch let error as any ClassifiedError {
                let status: Int32 = switch error.failureKind {
                case .noInput: 66
                case .usage: 64
                default: 65
                }
                Self.fail(error.localizedDescription, status: status)
            } catch {
                Self.fail("cannot load the fleet of tenant \(spec.id): \(error)", status: 70)
            }
            var metadata: Logger.Metadata = ["devices": "\(loaded.devices.count)", "users": "\(loaded.users.count)",
                                             "elapsed": "\(ContinuousClock.now - started)"]
            if configuration.journalTenant { metadata["tenant"] = "\(spec.id)" }
            logger.notice("fleet loaded", metadata: metadata)
            tenants.append(ServedTenant(id: spec.id, fleet: loaded))
        }
        var journalFile: Journal? = nil
        if let journal {
            do { journalFile = try Journal(path: journal) } catch { Self.fail("\(error)", status: 73) }
        }
        let service = GraphService(configuration: configuration, tenants: tenants, journal: journalFile)
        do {
            try await GraphSimServer(service: service).run(host: network.host, port: network.port, logger: logger) { url in
                // tests read this line: one write, no buffering
                FileHandle.standardOutput.write(Data("listening on \(url)\n".utf8))
            }
        } catch {
            Self.fail("cannot serve on \(network.host):\(network.port): \(error)", status: 70)
        }
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("graph-sim: \(message)\n".utf8))
        Foundation.exit(status)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
