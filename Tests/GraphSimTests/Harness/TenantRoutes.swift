import Foundation
import GraphSimulator
import Hummingbird
import HummingbirdTesting

/// A tenant of an in-process simulator of several: its id and its fleet (a CSV as
/// `TestFleet.csv`, or `size` seeded devices).
struct TestTenant: Sendable {
    var id: String
    var fleet: String? = TestFleet.csv
    var users: String? = nil
    var size: Int? = nil
}

/// Runs `body` against the simulator's routes in this process serving `tenants` (the first
/// is `configuration.tenant`), with the test apps, a journal and a `ManualClock`, as
/// `withRoutes` does for one tenant.
func withTenants<T: Sendable>(_ tenants: [TestTenant], _ configure: (inout SimConfiguration) -> Void = { _ in },
                              _ body: @Sendable (InProcessSim) async throws -> T) async throws -> T {
    let directory = try newTemporaryDirectory()
    var configuration = SimConfiguration()
    configuration.tenant = tenants[0].id
    configuration.journalTenant = true
    configuration.apps = [
        RegisteredApp(clientID: SimProcess.secretApp, credential: .secret(SimProcess.secret)),
        RegisteredApp(clientID: SimProcess.certificateApp, credential: .certificate(try RegisteredCertificate(
            pem: String(contentsOf: SimProcess.fixtures.appendingPathComponent("graph-test-app.cert.pem"), encoding: .utf8)))),
    ]
    configure(&configuration)
    var served: [ServedTenant] = []
    for (n, tenant) in tenants.enumerated() {
        let source: FleetSource
        if let size = tenant.size {
            source = .synthetic(count: size)
        } else {
            let devices = directory.appendingPathComponent("devices-\(n).csv")
            try Data((tenant.fleet ?? "").utf8).write(to: devices)
            var usersPath: String?
            if let users = tenant.users {
                let file = directory.appendingPathComponent("users-\(n).csv")
                try Data(users.utf8).write(to: file)
                usersPath = file.path
            }
            source = .file(devices: devices.path, users: usersPath)
        }
        let fleet = try TenantSpec(id: tenant.id, fleet: source).load(seed: configuration.seed(forTenant: tenant.id))
        served.append(ServedTenant(id: tenant.id, fleet: fleet))
    }
    let journal = directory.appendingPathComponent("journal.jsonl")
    let clock = ManualClock()
    let service = GraphService(configuration: configuration, tenants: served, journal: try Journal(path: journal.path),
                               clock: clock)
    let app = Application(router: GraphSimServer(service: service).router())
    return try await app.test(.router) { client in
        try await body(InProcessSim(client: client, clock: clock, journal: journal))
    }
}

extension SimClient {
    /// The token URL of `tenant`.
    func tokenURL(of tenant: String) -> String { "\(url)/\(tenant)/oauth2/v2.0/token" }

    /// Asks `tenant`'s token endpoint for a token of the secret app.
    func requestToken(of tenant: String) async throws -> SimProcess.Answer {
        try await postForm(tokenURL(of: tenant),
                           tokenForm([("client_id", SimProcess.secretApp), ("client_secret", SimProcess.secret)]))
    }

    /// A token of the secret app in `tenant`.
    func token(of tenant: String) async throws -> String {
        let answer = try await requestToken(of: tenant)
        guard answer.status == 200, let token = answer.json["access_token"] as? String else {
            throw SimError.noToken(answer.body)
        }
        return token
    }
}

extension SimProcess {
    /// Starts `graph-sim` with exactly `arguments` besides `--port 0`, the journal and the
    /// test apps (no `--tenant`, no fleet added): for tenants given only as `ID=FLEET`.
    static func startBare(_ arguments: [String]) async throws -> SimProcess {
        let sim = try SimProcess()
        let secretFile = try sim.write("secret.txt", secret + "\n")
        try await sim.launchOffPool(["--port", "0", "--journal", sim.journal.path,
                                     "--app", "\(secretApp):secret-file=\(secretFile)"] + arguments)
        return sim
    }
}
