import Foundation
import Logging
import Synchronization
import Testing
@testable import MDMBatchKit

/// A tiny HTTP/1.1 server on a free loopback port (plain POSIX sockets, one thread per
/// connection), to see what async-http-client really throws for each way a call can fail.
final class LoopbackServer: Sendable {
    enum Behaviour: Sendable {
        /// Reads the request, writes these bytes, closes.
        case answer(String)
        /// Reads the request and says nothing until the server stops.
        case silent
        /// Reads the request and closes the connection.
        case closeAfterRequest
        /// Writes `head`, then `body` one byte every `interval`, until done or stopped.
        case drip(head: String, body: [UInt8], interval: Duration)
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let state = Mutex<(requests: [String], connections: [Int32], stopped: Bool)>(([], [], false))

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        listener = try Self.bindLoopback(listen: true).fd
        port = Self.port(of: listener)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Requests received, head only.
    var requests: [String] { state.withLock { $0.requests } }

    func stop() {
        let connections = state.withLock { state -> [Int32] in
            state.stopped = true
            return state.connections
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// A loopback port with nothing listening: connecting to it is refused.
    static func refusedPort() throws -> Int {
        let socket = try bindLoopback(listen: false)
        close(socket.fd)
        return socket.port
    }

    private static func bindLoopback(listen shouldListen: Bool) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, !shouldListen || listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        return (fd, port(of: fd))
    }

    private static func port(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            let stopped = state.withLock { state -> Bool in
                state.connections.append(fd)
                return state.stopped
            }
            if stopped { close(fd); return }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { close(fd); return }
            head += buffer[0..<count]
        }
        state.withLock { $0.requests.append(String(decoding: head, as: UTF8.self)) }
        switch behaviour {
        case .answer(let text):
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        case .silent:
            // Holds the connection until `stop` shuts it down.
            while read(fd, &buffer, buffer.count) > 0 {}
            close(fd)
        case .closeAfterRequest:
            close(fd)
        case .drip(let head, let body, let interval):
            let bytes = Array(head.utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            for var byte in body {
                guard !state.withLock({ $0.stopped }), write(fd, &byte, 1) == 1 else { break }
                Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) * 1e-18 + Double(interval.components.seconds))
            }
            close(fd)
        }
    }
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// async-http-client for real, against a server on loopback: what it throws for each failure,
/// and how that is classified.
@Suite("Graph HTTP client (live, loopback)", .serialized)
struct GraphHTTPClientTests {
    private func client(port: Int, connect: Double = 1, read: Double = 0.5, request: Double = 5) throws -> GraphHTTPClient {
        GraphHTTPClient(settings: try GraphSettings(graphURL: "http://127.0.0.1:\(port)/v1.0", authorityURL: "http://127.0.0.1:\(port)",
                                                    version: "1.2.3", connectTimeout: connect, readTimeout: read,
                                                    requestTimeout: request, poolSize: 2),
                        logger: Logger(label: "test"))
    }

    private static func post(_ port: Int) -> GraphHTTPRequest {
        GraphHTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/v1.0/deviceManagement/managedDevices/d-1/resetPasscode",
                         headers: ["Authorization": "Bearer t", "Accept": "application/json", "client-request-id": "abc",
                                   "User-Agent": "mdmbatch/1.2.3"])
    }

    @Test("a 204 comes back whole; the POST went with Content-Length 0 and Graph's headers")
    func accepted() async throws {
        let server = try LoopbackServer(.answer("HTTP/1.1 204 No Content\r\nrequest-id: r-1\r\nConnection: close\r\n\r\n"))
        defer { server.stop() }
        let http = try client(port: server.port)
        let response = try await http.execute(Self.post(server.port))
        await http.shutdown()
        #expect(response.status == 204 && response.header("request-id") == "r-1" && response.body.isEmpty)
        let head = try #require(server.requests.first).lowercased()
        #expect(head.hasPrefix("post /v1.0/devicemanagement/manageddevices/d-1/resetpasscode http/1.1\r\n"))
        for line in ["content-length: 0", "authorization: bearer t", "accept: application/json", "client-request-id: abc",
                     "user-agent: mdmbatch/1.2.3"] {
            #expect(head.contains("\r\n\(line)\r\n"), "\(line)")
        }
    }

    @Test("an error answer with a body is read whole")
    func errorBody() async throws {
        let body = #"{"error":{"code":"BadRequest","message":"nope"}}"#
        let server = try LoopbackServer(.answer("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"))
        defer { server.stop() }
        let http = try client(port: server.port)
        let response = try await http.execute(Self.post(server.port))
        await http.shutdown()
        #expect(response.status == 400 && String(decoding: response.body, as: UTF8.self) == body)
    }

    @Test("a refused connection: nothing sent (transient)")
    func refused() async throws {
        let port = try LoopbackServer.refusedPort()
        let http = try client(port: port, connect: 0.5)
        let result = await Result { try await http.execute(Self.post(port)) }
        await http.shutdown()
        guard case .failure(let error) = result, case .notSent = error as? GraphConnectionFailure else {
            Issue.record("\(result)")
            return
        }
    }

    @Test("no answer within the read timeout after the request was written: no answer (unknown outcome), sent once")
    func readTimeout() async throws {
        let server = try LoopbackServer(.silent)
        defer { server.stop() }
        let http = try client(port: server.port, read: 0.3)
        let result = await Result { try await http.execute(Self.post(server.port)) }
        await http.shutdown()
        #expect(result.failure == .noAnswer("no answer within the read timeout"))
        #expect(server.requests.count == 1)
    }

    @Test("the connection closed after the request was written: no answer, and the POST is not sent again")
    func dropped() async throws {
        let server = try LoopbackServer(.closeAfterRequest)
        defer { server.stop() }
        let http = try client(port: server.port)
        let result = await Result { try await http.execute(Self.post(server.port)) }
        await http.shutdown()
        #expect(result.failure == .noAnswer("the connection closed before the answer"))
        // give a (wrong) retry on a new connection the time to show up
        try await Task.sleep(for: .milliseconds(200))
        #expect(server.requests.count == 1)
    }

    @Test("an answer cut short: no answer")
    func truncated() async throws {
        let server = try LoopbackServer(.answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"value\":"))
        defer { server.stop() }
        let http = try client(port: server.port)
        let result = await Result { try await http.execute(GraphHTTPRequest(method: .get, url: "http://127.0.0.1:\(server.port)/v1.0/users")) }
        await http.shutdown()
        guard case .noAnswer = result.failure else { Issue.record("\(result)"); return }
    }

    @Test("the whole-request timeout: no answer")
    func deadline() async throws {
        let server = try LoopbackServer(.silent)
        defer { server.stop() }
        let http = try client(port: server.port, connect: 0.2, read: 5, request: 0.3)
        let result = await Result { try await http.execute(Self.post(server.port)) }
        await http.shutdown()
        #expect(result.failure == .noAnswer("no whole answer within the request timeout"))
    }

    @Test("item 4: a body dripped a byte every 50 ms ends at the request timeout, not when the drip ends")
    func drippedBody() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        let server = try LoopbackServer(.drip(head: "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n",
                                              body: body, interval: .milliseconds(50)))
        defer { server.stop() }
        let http = try client(port: server.port, connect: 0.5, read: 1, request: 2)
        let started = ContinuousClock.now
        let result = await Result { try await http.execute(GraphHTTPRequest(method: .get, url: "http://127.0.0.1:\(server.port)/v1.0/users")) }
        await http.shutdown()
        #expect(ContinuousClock.now - started < .seconds(120), "the drip would take 5,000 s")
        // the request timeout ends it; on a loaded machine a gap between two bytes may outlast
        // the read timeout first: either way no whole answer came, and the call ended
        #expect(result.failure == .noAnswer("no whole answer within the request timeout")
                || result.failure == .noAnswer("no answer within the read timeout"), "\(result)")
    }

    @Test("item 5: a body larger than the client reads is refused at once as too large, with its status")
    func tooLargeBody() async throws {
        let server = try LoopbackServer(.answer("HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\nConnection: close\r\n\r\n{\"value\":["))
        defer { server.stop() }
        let http = try client(port: server.port)
        let url = "http://127.0.0.1:\(server.port)/v1.0/deviceManagement/managedDevices"
        let result = await Result { try await http.execute(GraphHTTPRequest(method: .get, url: url)) }
        await http.shutdown()
        guard case .tooLarge(200, let message)? = result.failure else { Issue.record("\(result)"); return }
        #expect(message.contains(url), "\(message)")
    }

    @Test("through the transport: a dropped send is an unknown outcome, a refused one transient")
    func throughTransport() async throws {
        let server = try LoopbackServer(.closeAfterRequest)
        defer { server.stop() }
        let port = server.port
        let settings = try GraphSettings(graphURL: "http://127.0.0.1:\(port)/v1.0", version: "1", connectTimeout: 0.5, readTimeout: 0.5)
        let tokenOnly = ScriptedExecutor { _, _ in .status(500) }
        // Sign-in comes from the script; Graph requests go to the real client.
        let executor = SplitExecutor(token: tokenOnly, graph: GraphHTTPClient(settings: settings, logger: Logger(label: "t")))
        let session = GraphSession(settings: settings, credentials: try GraphFixtures.secretCredentials(), executor: executor,
                                   clock: SystemClock(), logger: Logger(label: "t"))
        let transport = GraphTransport(session: session)
        let dropped = await Result { try await transport.send(GraphFixtures.command()) }
        guard case .failure(let error) = dropped, case .unknownOutcome = error as? TransportError else {
            Issue.record("\(dropped)"); await transport.shutdown(); return
        }
        await transport.shutdown()

        let refusedPort = try LoopbackServer.refusedPort()
        let refusedSettings = try GraphSettings(graphURL: "http://127.0.0.1:\(refusedPort)/v1.0", version: "1", connectTimeout: 0.5)
        let refusedTransport = GraphTransport(session: GraphSession(
            settings: refusedSettings, credentials: try GraphFixtures.secretCredentials(),
            executor: SplitExecutor(token: tokenOnly, graph: GraphHTTPClient(settings: refusedSettings, logger: Logger(label: "t"))),
            clock: SystemClock(), logger: Logger(label: "t")))
        let refused = await Result { try await refusedTransport.send(GraphFixtures.command()) }
        await refusedTransport.shutdown()
        guard case .failure(let refusal) = refused, case .transient(nil, nil, _) = refusal as? TransportError else {
            Issue.record("\(refused)"); return
        }
    }
}

/// Token requests to a script, Graph requests to a real client.
private final class SplitExecutor: GraphHTTPExecutor {
    let token: ScriptedExecutor
    let graph: GraphHTTPClient
    init(token: ScriptedExecutor, graph: GraphHTTPClient) { self.token = token; self.graph = graph }

    func execute(_ request: GraphHTTPRequest) async throws -> GraphHTTPResponse {
        if request.url.hasSuffix("/oauth2/v2.0/token") { return try await token.execute(request) }
        return try await graph.execute(request)
    }

    func shutdown() async { await graph.shutdown() }
}

extension Result where Failure == any Error {
    fileprivate init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }

    fileprivate var failure: GraphConnectionFailure? {
        if case .failure(let error) = self { return error as? GraphConnectionFailure }
        return nil
    }
}
