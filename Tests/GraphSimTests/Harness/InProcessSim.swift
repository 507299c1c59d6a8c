import Foundation
import GraphSimulator
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1

/// The simulator's routes in this process (Hummingbird's router test client, no socket) on
/// a `ManualClock`: what depends on time is tested by moving the clock, never by sleeping.
/// Answers are `SimProcess.Answer`s, so that tests read them as they read the binary's.
struct InProcessSim: SimClient, Sendable {
    let client: any TestClientProtocol
    let clock: ManualClock
    let journal: URL
    /// The origin the router test client's requests carry (`Host: localhost`).
    let url = "http://localhost"
    var tokenURL: String { "\(url)/\(SimProcess.tenant)/oauth2/v2.0/token" }

    /// `pathOrURL`: a path, or a URL of this origin (an `@odata.nextLink`).
    func send(_ method: HTTPRequest.Method, _ pathOrURL: String, token: String? = nil, headers: [(String, String)] = [],
              body: String? = nil) async throws -> SimProcess.Answer {
        let path = pathOrURL.hasPrefix(url) ? String(pathOrURL.dropFirst(url.count)) : pathOrURL
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        if body != nil { fields[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: path, method: method, headers: fields,
                                                body: body.map { ByteBuffer(string: $0) })
        return SimProcess.Answer(status: response.status.code,
                                 headers: HTTPHeaders(response.headers.map { ($0.name.canonicalName, $0.value) }),
                                 body: String(buffer: response.body))
    }

    func get(_ path: String, token: String?) async throws -> SimProcess.Answer {
        try await send(.get, path, token: token)
    }

    func post(_ path: String, token: String?, clientRequestID: String = UUID().uuidString) async throws -> SimProcess.Answer {
        try await send(.post, path, token: token, headers: [("client-request-id", clientRequestID)])
    }

    /// POSTs a form (the token endpoint's body) to `url`.
    func postForm(_ url: String, _ body: String) async throws -> SimProcess.Answer {
        try await send(.post, url, body: body)
    }
}

/// What the tests ask of a simulator, the binary's or the one in this process.
protocol SimClient {
    /// `http://HOST:PORT`
    var url: String { get }
    var tokenURL: String { get }
    /// Its journal file.
    var journal: URL { get }
    func get(_ path: String, token: String?) async throws -> SimProcess.Answer
    func postForm(_ url: String, _ body: String) async throws -> SimProcess.Answer
}

extension SimClient {
    /// The form of a token request, `fields` added to the usual ones.
    func tokenForm(_ fields: [(String, String)]) -> String {
        let scope = fields.contains { $0.0 == "scope" } ? [] : [("scope", "\(url)/.default")]
        return ([("grant_type", "client_credentials")] + scope + fields)
            .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }
            .joined(separator: "&")
    }

    func requestToken(_ fields: [(String, String)]) async throws -> SimProcess.Answer {
        try await postForm(tokenURL, tokenForm(fields))
    }

    /// A token of the secret app.
    func token() async throws -> String {
        let answer = try await requestToken([("client_id", SimProcess.secretApp), ("client_secret", SimProcess.secret)])
        guard answer.status == 200, let token = answer.json["access_token"] as? String else {
            throw SimError.noToken(answer.body)
        }
        return token
    }

    /// The device's `deviceActionResults`.
    func actionResults(_ deviceID: String, token: String) async throws -> [[String: Any]] {
        let answer = try await get("/v1.0/deviceManagement/managedDevices/\(deviceID)?$select=deviceActionResults", token: token)
        return answer.json["deviceActionResults"] as? [[String: Any]] ?? []
    }

    /// The journal's lines, parsed.
    func journalEntries() throws -> [[String: Any]] {
        try String(contentsOf: journal, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// The journal's `effect` lines.
    func effects() throws -> [[String: Any]] {
        try journalEntries().filter { $0["type"] as? String == "effect" }
    }
}

/// Runs `body` against the simulator's routes in this process: the test fleet (or a seeded
/// one of `fleetSize` devices and their users), `users`, the test apps, a journal, a
/// `ManualClock`, and the configuration as `configure` leaves it.
func withRoutes<T: Sendable>(_ configure: (inout SimConfiguration) -> Void = { _ in }, fleet: String = TestFleet.csv,
                             users: String? = nil, fleetSize: Int? = nil,
                             _ body: @Sendable (InProcessSim) async throws -> T) async throws -> T {
    let directory = try newTemporaryDirectory()
    let loaded: Fleet
    if let fleetSize {
        loaded = Fleet.synthetic(count: fleetSize, seed: 1)
    } else {
        let devices = directory.appendingPathComponent("devices.csv")
        try Data(fleet.utf8).write(to: devices)
        let usersFile = directory.appendingPathComponent("users.csv")
        if let users { try Data(users.utf8).write(to: usersFile) }
        loaded = try Fleet.load(devicesFile: devices.path, usersFile: users == nil ? nil : usersFile.path)
    }
    let journal = directory.appendingPathComponent("journal.jsonl")
    var configuration = SimConfiguration()
    configuration.tenant = SimProcess.tenant
    configuration.apps = [
        RegisteredApp(clientID: SimProcess.secretApp, credential: .secret(SimProcess.secret)),
        RegisteredApp(clientID: SimProcess.certificateApp, credential: .certificate(try RegisteredCertificate(
            pem: String(contentsOf: SimProcess.fixtures.appendingPathComponent("graph-test-app.cert.pem"), encoding: .utf8)))),
    ]
    configure(&configuration)
    let clock = ManualClock()
    let service = GraphService(configuration: configuration, fleet: loaded, journal: try Journal(path: journal.path), clock: clock)
    let app = Application(router: GraphSimServer(service: service).router())
    return try await app.test(.router) { client in
        try await body(InProcessSim(client: client, clock: clock, journal: journal))
    }
}
