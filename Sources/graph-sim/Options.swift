import ArgumentParser
import Foundation
import GraphSimulator
import MDMBatchShared

struct FleetOptions: ParsableArguments {
    @Option(name: .customLong("tenant"),
            help: ArgumentHelp("ID: the tenant id of --fleet or --fleet-size (the {tenant} of the token URL; default "
                               + "\(SimConfiguration.defaultTenant)). ID=FILE[,users=FILE] or ID=size=N: one more tenant "
                               + "and its fleet, as --fleet (and --users) or --fleet-size give it. Repeatable. Tokens are "
                               + "bound to their tenant; a device of another tenant is not found (404, journalled with "
                               + "cross_tenant). Every --app is consented in every tenant.", valueName: "ID[=FLEET]"))
    var tenants: [String] = []

    @Option(help: ArgumentHelp("The devices the tenant holds: any inventory file mdmbatch imports (canonical CSV, Intune "
                               + "export, Graph JSON, JSONL).", valueName: "FILE"))
    var fleet: String?

    @Option(help: ArgumentHelp("The users the tenant holds (users CSV or JSONL), for GET /users.", valueName: "FILE"))
    var users: String?

    @Option(help: ArgumentHelp("Instead of --fleet: make N devices (a seeded mix of iOS, Android of every enrollment, "
                               + "macOS and Windows) and their users.", valueName: "N"))
    var fleetSize: Int?

    func validate() throws {
        if let fleetSize, fleetSize < 0 { throw ValidationError("--fleet-size must be 0 or more.") }
        let plain = tenants.filter { !$0.contains("=") }
        guard plain.count <= 1 else {
            throw ValidationError("--tenant ID (the tenant of --fleet) is given once; more tenants are --tenant ID=FLEET.")
        }
        if let id = plain.first { try Self.check { () throws(FlagValueError) in try TenantSpec.checkID(id, flag: "--tenant") } }
        let specs = try added()
        let hasFleet = fleet != nil || fleetSize != nil
        guard hasFleet || !specs.isEmpty else {
            throw ValidationError("Give the fleet as --fleet FILE or --fleet-size N (one of them), or tenants as "
                + "--tenant ID=FLEET.")
        }
        guard fleet == nil || fleetSize == nil else {
            throw ValidationError("Give the fleet as --fleet FILE or --fleet-size N (one of them).")
        }
        if let id = plain.first, !hasFleet {
            throw ValidationError("--tenant \(id) is the tenant of --fleet or --fleet-size, and neither is given; give its "
                + "fleet as --tenant \(id)=FILE.")
        }
        if fleetSize != nil && users != nil {
            throw ValidationError("--users goes with --fleet; --fleet-size makes its own users.")
        }
        if fleet == nil && users != nil {
            throw ValidationError("--users goes with --fleet; a tenant of --tenant ID=FILE gives its own (,users=FILE).")
        }
        var seen: Set<String> = []
        for id in served where !seen.insert(id.lowercased()).inserted {
            throw ValidationError("--tenant \(id) is given twice (tenant ids match whatever their case).")
        }
    }

    /// The tenants of `--tenant ID=FLEET`, in order.
    func added() throws -> [TenantSpec] {
        try tenants.filter { $0.contains("=") }.map { text in try Self.check { () throws(FlagValueError) in try TenantSpec(flag: text) } }
    }

    /// The tenant of `--fleet`/`--fleet-size`, if either is given.
    var primary: String? {
        fleet != nil || fleetSize != nil ? tenants.first { !$0.contains("=") } ?? SimConfiguration.defaultTenant : nil
    }

    /// Every tenant id served, the primary first.
    var served: [String] {
        (primary.map { [$0] } ?? []) + ((try? added()) ?? []).map(\.id)
    }

    /// A flag value's error as a usage error (64).
    static func check<T>(_ body: () throws(FlagValueError) -> T) throws -> T {
        do { return try body() } catch { throw ValidationError(error.description) }
    }
}

struct NetworkOptions: ParsableArguments {
    @Option(help: "The loopback address to listen on (127.0.0.1, another 127.x.y.z, or ::1); nothing else is served.")
    var host = "127.0.0.1"

    @Option(help: "The port; 0 picks a free one. The first line on standard output gives the URL either way.")
    var port = 0

    func validate() throws {
        let loopback = host == "::1" || (host.hasPrefix("127.") && host.split(separator: ".").count == 4)
        guard loopback else { throw ValidationError("--host must be a loopback address (127.0.0.1 or ::1), not \(host).") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
    }
}

struct SignInOptions: ParsableArguments {
    @Option(name: .customLong("app"),
            help: ArgumentHelp("An app that may sign in: CLIENT_ID:secret-file=PATH (the file holds its client secret) or "
                               + "CLIENT_ID:certificate=PATH (a PEM certificate whose key signs its client assertions). "
                               + "Repeatable. Secrets never go on the command line.", valueName: "SPEC"))
    var apps: [String] = []

    @Option(name: .customLong("deny-permission"),
            help: ArgumentHelp("Take this application permission away from every app, so that the calls needing it answer "
                               + "403: \(GraphPermission.allCases.map(\.rawValue).joined(separator: ", ")); in every "
                               + "tenant, or with TENANT: in that one. Repeatable.",
                               valueName: "[TENANT:]NAME"))
    var deniedPermissions: [String] = []

    @Option(name: .customLong("refuse-sign-in"),
            help: ArgumentHelp("Refuse every sign-in of TENANT from FROM to TO seconds after the start (e.g. 0-30, 10s-1m) "
                               + "as Entra refuses an app not consented there (400 unauthorized_client, AADSTS700016); "
                               + "tokens already issued keep working. Repeatable.", valueName: "TENANT@FROM-TO"))
    var refusedSignIns: [String] = []

    @Option(help: ArgumentHelp("Lifetime of an access token, in seconds.", valueName: "SECONDS"))
    var tokenTTL = 3599

    @Flag(help: "Refuse a client assertion whose jti was already used (Entra itself accepts a reused assertion).")
    var rejectReusedJti = false

    func validate() throws {
        guard tokenTTL >= 1 else { throw ValidationError("--token-ttl must be at least 1 second.") }
        for text in deniedPermissions {
            _ = try FleetOptions.check { () throws(FlagValueError) in try FlagValues.deniedPermission(text) }
        }
        for text in refusedSignIns {
            _ = try FleetOptions.check { () throws(FlagValueError) in try FlagValues.signInRefusal(text) }
        }
    }

    /// `tenants`: the ids served; a tenant named here must be one of them. `loadingApps`:
    /// read the apps' secret and certificate files (not while validating).
    func apply(to configuration: inout SimConfiguration, tenants: [String], loadingApps: Bool = true) throws {
        func served(_ tenant: String, _ flag: String) throws -> String {
            guard let id = tenants.first(where: { $0.lowercased() == tenant.lowercased() }) else {
                throw ValidationError("\(flag): \(tenant) is not a tenant served (\(tenants.joined(separator: ", "))).")
            }
            return id
        }
        configuration.tokenTTL = tokenTTL
        configuration.rejectReusedJTI = rejectReusedJti
        for text in deniedPermissions {
            let (tenant, permission) = try FleetOptions.check { () throws(FlagValueError) in
                try FlagValues.deniedPermission(text)
            }
            if let tenant {
                configuration.tenantDeniedPermissions[try served(tenant, "--deny-permission \(text)").lowercased(),
                                                      default: []].insert(permission)
            } else {
                configuration.deniedPermissions.insert(permission)
            }
        }
        configuration.signInRefusals = try refusedSignIns.map { text in
            var refusal = try FleetOptions.check { () throws(FlagValueError) in try FlagValues.signInRefusal(text) }
            refusal.tenant = try served(refusal.tenant, "--refuse-sign-in \(text)")
            return refusal
        }
        if loadingApps { configuration.apps = try apps.map(Self.app) }
    }

    static func app(_ spec: String) throws -> RegisteredApp {
        guard let colon = spec.firstIndex(of: ":") else {
            throw ValidationError("--app \(spec): expected CLIENT_ID:secret-file=PATH or CLIENT_ID:certificate=PATH.")
        }
        let clientID = String(spec[..<colon])
        let rest = spec[spec.index(after: colon)...]
        guard !clientID.isEmpty, let equals = rest.firstIndex(of: "=") else {
            throw ValidationError("--app \(spec): expected CLIENT_ID:secret-file=PATH or CLIENT_ID:certificate=PATH.")
        }
        let kind = rest[..<equals], path = String(rest[rest.index(after: equals)...])
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            GraphSim.fail("\(path): cannot read the \(kind == "certificate" ? "certificate" : "secret") of app \(clientID)",
                          status: 66)
        }
        switch kind {
        case "secret-file":
            let secret = text.trimmingCharacters(in: .newlines)
            guard !secret.isEmpty else { GraphSim.fail("\(path): the secret file of app \(clientID) is empty", status: 65) }
            return RegisteredApp(clientID: clientID, credential: .secret(secret))
        case "certificate":
            do {
                return RegisteredApp(clientID: clientID, credential: .certificate(try RegisteredCertificate(pem: text)))
            } catch {
                GraphSim.fail("\(path): \(error)", status: 65)
            }
        default:
            throw ValidationError("--app \(spec): the credential is secret-file=PATH or certificate=PATH, not \(kind).")
        }
    }
}

struct DeviceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Mean time an action stays pending, then active, before it is done (each seeded between half "
                               + "and one and a half of it); 0: done at once.", valueName: "MS"))
    var actionDelayMs = 200

    @Option(help: ArgumentHelp("How long the service holds a passcode or an unlock PIN after the action started (default "
                               + "7 days); later the field is null.", valueName: "SECONDS"))
    var secretTTL: Double = 7 * 86_400

    @Option(help: ArgumentHelp("How long a Mac's unlock PIN counts as unused after its lock (default 30 days): until then "
                               + "a second lock of that Mac is refused.", valueName: "SECONDS"))
    var unlockPinTTL: Double = 30 * 86_400

    @Option(name: .customLong("fail-device"),
            help: ArgumentHelp("This device reports its actions failed instead of done; ID=notSupported or ID=canceled "
                               + "for those states. Repeatable.", valueName: "ID[=STATE]"))
    var failDevices: [String] = []

    @Option(help: ArgumentHelp("Share of accepted actions (seeded) that end failed instead of done.", valueName: "P"))
    var failRate: Double = 0

    func validate() throws {
        guard actionDelayMs >= 0 else { throw ValidationError("--action-delay-ms must be 0 or more.") }
        guard secretTTL >= 0, unlockPinTTL >= 0 else { throw ValidationError("--secret-ttl and --unlock-pin-ttl must be 0 or more.") }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1.") }
    }

    func apply(to configuration: inout SimConfiguration) throws {
        configuration.actionDelayMS = actionDelayMs
        configuration.secretTTL = secretTTL
        configuration.unlockPinTTL = unlockPinTTL
        configuration.failRate = failRate
        for spec in failDevices {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard let id = parts.first, !id.isEmpty else { throw ValidationError("--fail-device needs a device id.") }
            guard let state = parts.count == 2 ? FailedState(rawValue: parts[1]) : .failed else {
                throw ValidationError("--fail-device \(spec): the state is one of "
                    + FailedState.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            configuration.failDevices[id] = state
        }
    }
}

struct ThrottleOptions: ParsableArguments {
    @Flag(help: "Do not throttle at all.")
    var noThrottle = false

    @Option(help: ArgumentHelp("remoteLock and resetPasscode calls allowed per app in any window (Intune: 200/20).",
                               valueName: "N/SECONDS"))
    var writeLimit = "200/20"

    @Option(help: ArgumentHelp("The same for all apps of the tenant together (Intune: 400/20).", valueName: "N/SECONDS"))
    var tenantWriteLimit = "400/20"

    @Option(help: ArgumentHelp("Requests of every kind allowed per app in any window (Intune: 2000/20).", valueName: "N/SECONDS"))
    var requestLimit = "2000/20"

    @Option(help: ArgumentHelp("The same for all apps of the tenant together (Intune: 4000/20).", valueName: "N/SECONDS"))
    var tenantRequestLimit = "4000/20"

    @Option(name: [.customLong("app-request-limit"), .customLong("app-limit")],
            help: ArgumentHelp("Requests of every kind allowed per app over all tenants together (Graph's global limit: "
                               + "130000/10); the limits above are per app in each tenant, and per tenant.",
                               valueName: "N/SECONDS"))
    var appRequestLimit = "130000/10"

    @Option(help: ArgumentHelp("Slack at each window's edge: a request is timed when it arrives, so a client pacing "
                               + "exactly N per window sees a few milliseconds of jitter; the windows are this much "
                               + "shorter. 0 for exact windows.", valueName: "MS"))
    var throttleSlackMs = 50

    @Option(help: ArgumentHelp("How a 429 says when to retry: whole (\"3\"), fractional (\"2.128\"), date (an HTTP date), "
                               + "absent (no Retry-After), or mixed (a seeded choice among them each time).",
                               valueName: "FORM"))
    var retryAfterForm = "mixed"

    func apply(to configuration: inout SimConfiguration) throws {
        guard let form = RetryAfterForm(rawValue: retryAfterForm) else {
            throw ValidationError("--retry-after-form is one of " + RetryAfterForm.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
        configuration.retryAfterForm = form
        if noThrottle {
            configuration.throttle = nil
            return
        }
        func limit(_ flag: String, _ text: String) throws -> RateLimit {
            guard let limit = RateLimit(text) else { throw ValidationError("--\(flag) \(text): expected N/SECONDS, e.g. 200/20.") }
            return limit
        }
        var limits = ThrottleLimits()
        limits.appWrites = try limit("write-limit", writeLimit)
        limits.tenantWrites = try limit("tenant-write-limit", tenantWriteLimit)
        limits.appRequests = try limit("request-limit", requestLimit)
        limits.tenantRequests = try limit("tenant-request-limit", tenantRequestLimit)
        limits.appWideRequests = try limit("app-request-limit", appRequestLimit)
        guard throttleSlackMs >= 0 else { throw ValidationError("--throttle-slack-ms must be 0 or more.") }
        limits.slack = Double(throttleSlackMs) / 1000
        configuration.throttle = limits
    }
}

struct FaultOptions: ParsableArguments {
    @Option(help: "Seed of every random choice but secrets (latency, faults, delays, Retry-After forms, --fleet-size).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Each answer takes between half and one and a half of this, spent without holding a thread.",
                               valueName: "MS"))
    var latencyMs = 0

    @Option(help: ArgumentHelp("Share of remoteLock/resetPasscode calls that meet a fault from --faults (default 0; "
                               + "\(SimConfiguration.realisticFaultRate.formatted()) under --realistic).", valueName: "P"))
    var faultRate: Double?

    @Option(help: ArgumentHelp("The faults --fault-rate chooses among: 503 (refused before the action, Retry-After "
                               + "sometimes), slow (the action takes effect, the answer comes after --slow-ms), drop (the "
                               + "action takes effect, the connection closes without an answer), 500, 502, 504 (the "
                               + "action takes effect, then that status). Default 503,slow,drop; all six under "
                               + "--realistic.", valueName: "LIST"))
    var faults: String?

    @Option(help: ArgumentHelp("How long a slow answer takes (longer than a client's read timeout).", valueName: "MS"))
    var slowMs = 30_000

    @Option(help: ArgumentHelp("Share of GET calls answered 503.", valueName: "P"))
    var readFaultRate: Double = 0

    @Option(help: ArgumentHelp("Answer page K (1 = the first) of every managedDevices listing with broken JSON.",
                               valueName: "K"))
    var malformedPage: Int?

    func validate() throws {
        guard (0...1).contains(faultRate ?? 0), (0...1).contains(readFaultRate) else {
            throw ValidationError("--fault-rate and --read-fault-rate must be between 0 and 1.")
        }
        guard latencyMs >= 0, slowMs >= 0 else { throw ValidationError("--latency-ms and --slow-ms must be 0 or more.") }
        if let malformedPage, malformedPage < 1 { throw ValidationError("--malformed-page counts from 1.") }
    }

    func apply(to configuration: inout SimConfiguration) throws {
        configuration.seed = seed
        configuration.latencyMS = latencyMs
        if let faultRate { configuration.faultRate = faultRate }
        configuration.slowMS = slowMs
        configuration.readFaultRate = readFaultRate
        configuration.malformedPage = malformedPage
        if let faults {
            configuration.faults = try faults.split(separator: ",").map { name in
                guard let fault = WriteFault(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--faults: \(name) is none of "
                        + WriteFault.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                return fault
            }
        }
    }
}

/// `--realistic` and the harshness it turns on, each of which may be set alone (DESIGN.md,
/// "What the real service does that graph-sim did not").
struct RealismOptions: ParsableArguments {
    @Flag(help: ArgumentHelp("Be as harsh as Intune: --results-lag \(Int(SimConfiguration.realisticResultsLag))s, "
                             + "--fault-rate \(SimConfiguration.realisticFaultRate.formatted()) over --faults "
                             + SimConfiguration.realisticFaults.map(\.rawValue).joined(separator: ",")
                             + ", --foreign-load \(SimConfiguration.realisticForeignLoad.formatted())/s, "
                             + "--reasonless-400, --second-mac-lock fails. Flags given explicitly win."))
    var realistic = false

    @Option(help: ArgumentHelp("Each accepted action shows in deviceActionResults only after a seeded delay between 0 and "
                               + "this (e.g. 5s, 500ms, 2; default 0: at once); until then the action before it is shown, "
                               + "or none.", valueName: "DURATION"))
    var resultsLag: String?

    @Option(help: ArgumentHelp("Writes of other apps of the tenant, a mean rate per second (e.g. 15/s, 15, 300/20s; "
                               + "seeded arrivals; default 0). They spend the tenant's write budget (--tenant-write-limit), "
                               + "and a 429 the tenant's windows cause then has no Retry-After.", valueName: "RATE"))
    var foreignLoad: String?

    @Flag(name: .customLong("reasonless-400"), inversion: .prefixedNo,
          help: "A 400 refusal says only Intune's Operation ID, Activity ID and URL, no reason (on under --realistic).")
    var reasonless400: Bool?

    @Option(help: ArgumentHelp("A second lock of a Mac while the first lock's unlock PIN is unused: refused (400, the "
                               + "default) or fails (204, then the action ends failed on the device; --realistic).",
                               valueName: "refused|fails"))
    var secondMacLock: String?

    func apply(to configuration: inout SimConfiguration) throws {
        if realistic { configuration.makeRealistic() }
        if let resultsLag {
            guard let seconds = FlagValues.seconds(resultsLag) else {
                throw ValidationError("--results-lag \(resultsLag): expected a duration such as 5s, 500ms or 2 (seconds), "
                    + "or 0.")
            }
            configuration.resultsLag = seconds
        }
        if let foreignLoad {
            guard let rate = FlagValues.perSecond(foreignLoad) else {
                throw ValidationError("--foreign-load \(foreignLoad): expected writes per second such as 15/s, 15 or "
                    + "300/20s, or 0.")
            }
            configuration.foreignLoad = rate
        }
        if let reasonless400 { configuration.reasonless400 = reasonless400 }
        if let secondMacLock {
            guard let behaviour = SecondMacLock(rawValue: secondMacLock) else {
                throw ValidationError("--second-mac-lock is refused or fails, not \(secondMacLock).")
            }
            configuration.secondMacLock = behaviour
        }
    }
}

extension Double {
    /// `0.05`, `15`: no trailing `.0`.
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
