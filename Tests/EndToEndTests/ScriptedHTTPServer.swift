import Foundation
import Synchronization
import Testing

/// A tiny HTTP/1.1 server on a free loopback port, plain POSIX sockets and a thread per
/// connection, answering as a script says: the sign-in authority and Graph as no
/// well-behaved simulator would (a body dripped a byte at a time, a page of 200 MB, bytes
/// that are not UTF-8).
final class ScriptedHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var body: String
    }

    enum Reply: Sendable {
        case answer(status: Int, headers: [String] = [], body: [UInt8] = [])
        /// The head with a Content-Length, then the body a byte every `interval`.
        case drip(body: [UInt8], interval: Double)
        /// A 200 without a length, then `total` bytes of spaces, until the client hangs up.
        case endless(total: Int)

        static func json(_ status: Int, _ text: String) -> Reply {
            .answer(status: status, headers: ["Content-Type: application/json"], body: Array(text.utf8))
        }

        static func token() -> Reply {
            .json(200, #"{"token_type":"Bearer","expires_in":3599,"access_token":"fake-token"}"#)
        }
    }

    let port: Int
    private let listener: Int32
    private let script: @Sendable (Request, Int) -> Reply
    private let state = Mutex<(requests: [Request], connections: [Int32], stopped: Bool)>(([], [], false))

    var url: String { "http://127.0.0.1:\(port)" }
    /// mdmbatch's flags to talk to this server.
    var flags: [String] { ["--transport", "graph", "--graph-url", url + "/v1.0", "--authority-url", url] }
    var requests: [Request] { state.withLock { $0.requests } }
    var tokenRequests: Int { requests.filter { $0.path.hasSuffix("/oauth2/v2.0/token") }.count }

    /// `script(request, n)`: n counts the requests to the same path, from 1.
    init(_ script: @escaping @Sendable (Request, Int) -> Reply) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw HarnessError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    func stop() {
        // once only: the deinit of a server stopped long before must not shut down a socket
        // that has since taken its listener's number (the next test's server). The
        // connections are shut down under the lock their threads close them under, so that
        // none is closed (and its number taken by another test's socket) in between.
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { close(listener); return }
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.connections.append(fd) }
                return state.stopped
            }
            if stopped { close(fd); return }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private func serve(_ fd: Int32) {
        defer {
            // forgotten and closed under the lock: `stop` must never shut down a number reused since
            state.withLock { state in
                state.connections.removeAll { $0 == fd }
                close(fd)
            }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            // one request: its head, then Content-Length bytes of body
            var headEnd: Int?
            while headEnd == nil {
                if let range = received.firstRange(of: Array("\r\n\r\n".utf8)) { headEnd = range.upperBound; break }
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { return }
                received += buffer[0..<count]
            }
            let head = String(decoding: received[..<headEnd!], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let words = lines.first?.split(separator: " ") ?? []
            let length = lines.compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            while received.count < headEnd! + length {
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { return }
                received += buffer[0..<count]
            }
            let request = Request(method: words.count > 0 ? String(words[0]) : "", path: words.count > 1 ? String(words[1]) : "",
                                  body: String(decoding: received[headEnd!..<(headEnd! + length)], as: UTF8.self))
            received.removeFirst(headEnd! + length)
            let number = state.withLock { state -> Int in
                state.requests.append(request)
                let bare = request.path.split(separator: "?").first.map(String.init) ?? request.path
                return state.requests.filter { ($0.path.split(separator: "?").first.map(String.init) ?? $0.path) == bare }.count
            }
            switch script(request, number) {
            case .answer(let status, let headers, let body):
                let text = "HTTP/1.1 \(status) X\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(body.count)\r\n\r\n"
                guard send(fd, Array(text.utf8) + body) else { return }
            case .drip(let body, let interval):
                guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)) else { return }
                for byte in body {
                    guard !stopped, send(fd, [byte]) else { return }
                    Thread.sleep(forTimeInterval: interval)
                }
            case .endless(let total):
                guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"value\":[".utf8)) else { return }
                let chunk = [UInt8](repeating: 0x20, count: 1 << 20)
                var sent = 0
                while sent < total, !stopped, send(fd, chunk) { sent += chunk.count }
                return
            }
        }
    }
}

extension ScriptedHTTPServer {
    /// The client secret mdmbatch signs in with; a test looks for it where it must not be.
    static let secret = "S3cr3t-XYZ-fake-client-secret"
    /// mdmbatch's credentials for a scripted authority (any tenant, app and secret do).
    static let environment = ["MDMBATCH_TENANT_ID": "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b", "MDMBATCH_CLIENT_ID": "fake-app",
                              "MDMBATCH_CLIENT_SECRET": secret, "MDMBATCH_CLIENT_CERTIFICATE": ""]

    /// A Graph that signs in and accepts every action.
    static func acceptingGraph(token: @escaping @Sendable (Int) -> ScriptedHTTPServer.Reply = { _ in .token() })
        throws -> ScriptedHTTPServer {
        try ScriptedHTTPServer { request, number in
            if request.path.hasSuffix("/oauth2/v2.0/token") { return token(number) }
            if request.method == "POST" { return .answer(status: 204) }
            return .json(404, #"{"error":{"code":"ResourceNotFound","message":"no"}}"#)
        }
    }
}
