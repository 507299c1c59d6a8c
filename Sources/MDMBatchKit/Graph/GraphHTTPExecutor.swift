import Foundation

/// One HTTP request to Graph or to the sign-in authority. Its description and mirror show
/// neither the `Authorization` header nor the body (a token request's body holds the client
/// secret or assertion).
public struct GraphHTTPRequest: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method
    public var url: String
    /// Names as sent; a name appears once.
    public var headers: [String: String]
    public var body: [UInt8]?

    public init(method: Method, url: String, headers: [String: String] = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// A header by name, ignoring case.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    private var shownHeaders: [String: String] {
        headers.reduce(into: [:]) { shown, header in
            shown[header.key] = header.key.caseInsensitiveCompare("Authorization") == .orderedSame ? "<redacted>" : header.value
        }
    }

    public var description: String {
        "\(method.rawValue) \(url) \(shownHeaders.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })"
            + (body.map { " <\($0.count) bytes, redacted>" } ?? "")
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["method": method, "url": url, "headers": shownHeaders, "body": body.map { "<\($0.count) bytes>" } as Any])
    }
}

/// A whole answer: status, headers and body. Its description and mirror leave the body
/// out (a token endpoint's answer holds the token, a device's its passcode).
public struct GraphHTTPResponse: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, ignoring case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var description: String { "HTTP \(status) <\(body.count) bytes>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["status": status, "headers": headers.map { "\($0.name): \($0.value)" }, "body": "<\(body.count) bytes>"])
    }

    public static func == (lhs: GraphHTTPResponse, rhs: GraphHTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name)\u{0}\($0.value)" } == rhs.headers.map { "\($0.name)\u{0}\($0.value)" }
    }
}

/// A request that got no answer, split by what the service may have seen.
public enum GraphConnectionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing was written: no connection (refused, unreachable, name not found, connect or
    /// TLS handshake timeout). Safe to send again.
    case notSent(String)
    /// The request was (or may have been) written and no whole answer came: a read timeout,
    /// the deadline, the connection closed or reset. The service may have acted.
    case noAnswer(String)
    /// The answer's body is larger than the client reads: it will be so again, and it is
    /// not read (memory stays bounded). The head came, so the request was received.
    case tooLarge(status: Int, String)

    /// The `error.code` that a `tooLarge` answer is given as a permanent `TransportError`.
    public static let tooLargeCode = "answerTooLarge"

    public var description: String {
        switch self {
        case .notSent(let message): "not sent: \(message)"
        case .noAnswer(let message): "no answer: \(message)"
        case .tooLarge(let status, let message): "HTTP \(status), not read: \(message)"
        }
    }
}

/// Executes HTTP requests: async-http-client in production (`GraphHTTPClient`), a script
/// in tests. Throws `GraphConnectionFailure` (or `CancellationError`) and nothing else.
public protocol GraphHTTPExecutor: Sendable {
    func execute(_ request: GraphHTTPRequest) async throws -> GraphHTTPResponse
    /// Closes the connections; called once, at the end.
    func shutdown() async
}
