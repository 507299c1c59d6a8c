import Foundation

/// Where the Graph service is and how to talk to it: URLs, timeouts, the connection pool
/// and the pace of every request. Built from the command line's flags; validated here, so
/// that a bad URL is a configuration error (78) before anything is sent.
public struct GraphSettings: Sendable, Equatable {
    public static let defaultGraphURL = "https://graph.microsoft.com/v1.0"
    public static let defaultAuthorityURL = "https://login.microsoftonline.com"
    /// Intune allows 2 000 requests per 20 s per app, reads and writes together; 1 800 leaves room.
    public static let defaultRequestRate = RatePolicy(count: 1800, per: 20)

    /// The Graph endpoint, without a trailing slash (`https://graph.microsoft.com/v1.0`).
    public let graphURL: String
    /// The sign-in authority, without a trailing slash (`https://login.microsoftonline.com`).
    public let authorityURL: String
    /// The beta endpoint: as given, else `graphURL` with its last segment `v1.0` made `beta`;
    /// nil when neither applies.
    public let betaURL: String?
    /// The token scope: the Graph origin's `/.default` (all the app's granted permissions).
    public let scope: String
    /// `mdmbatch/VERSION`.
    public let userAgent: String
    /// Seconds to open a connection (TCP and TLS).
    public var connectTimeout: Double
    /// Seconds without a byte from the service, once the request is written.
    public var readTimeout: Double
    /// Seconds for a whole request, connection included; longer than `connectTimeout`.
    public var requestTimeout: Double
    /// Connections kept per host: the run's concurrency.
    public var poolSize: Int
    /// The pace of every Graph request (reads and writes together); nil: unpaced.
    public var requestRate: RatePolicy?

    public init(graphURL: String = GraphSettings.defaultGraphURL, authorityURL: String = GraphSettings.defaultAuthorityURL,
                betaURL: String? = nil, version: String, connectTimeout: Double = 10, readTimeout: Double = 30,
                requestTimeout: Double = 120, poolSize: Int = 16,
                requestRate: RatePolicy? = GraphSettings.defaultRequestRate) throws {
        let graph = try GraphEndpoint(role: "Graph URL", graphURL)
        let authority = try GraphEndpoint(role: "authority URL", authorityURL)
        self.graphURL = graph.text
        self.authorityURL = authority.text
        if let betaURL {
            self.betaURL = try GraphEndpoint(role: "Graph beta URL", betaURL).text
        } else {
            self.betaURL = graph.replacingLastSegment("v1.0", with: "beta")
        }
        scope = graph.origin + "/.default"
        userAgent = "mdmbatch/\(version)"
        for (name, value) in [("connect timeout", connectTimeout), ("read timeout", readTimeout), ("request timeout", requestTimeout)]
        where !(value > 0 && value.isFinite) {
            throw GraphConfigurationError.invalidSetting("the Graph \(name) must be a positive number of seconds, got \(value)")
        }
        // A request deadline that could fire while a connection is still being made would make
        // "not sent" look like "no answer"; so connecting must give up first.
        guard requestTimeout > connectTimeout else {
            throw GraphConfigurationError.invalidSetting(
                "the Graph request timeout (\(requestTimeout) s) must be longer than the connect timeout (\(connectTimeout) s)")
        }
        guard poolSize > 0 else {
            throw GraphConfigurationError.invalidSetting("the Graph connection pool needs at least one connection, got \(poolSize)")
        }
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.poolSize = poolSize
        self.requestRate = requestRate
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`: the sign-in URL, and a certificate assertion's audience.
    public func tokenURL(tenantID: String) -> String {
        "\(authorityURL)/\(tenantID)/oauth2/v2.0/token"
    }
}

/// One validated base URL: `https://`, or `http://` to a loopback host; no credentials,
/// query or fragment in it.
struct GraphEndpoint {
    let text: String
    let origin: String

    init(role: String, _ raw: String) throws {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        func refuse(_ reason: String) -> GraphConfigurationError {
            .malformedURL(role: role, url: GraphEndpoint.redactingUserInfo(trimmed), reason: reason)
        }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            throw refuse("expected an absolute URL such as https://graph.microsoft.com/v1.0")
        }
        guard scheme == "https" || scheme == "http" else { throw refuse("the scheme must be https (or http to loopback)") }
        guard let host = components.host, !host.isEmpty else { throw refuse("it has no host") }
        guard components.user == nil, components.password == nil else { throw refuse("it must not hold a user name or password") }
        guard components.query == nil, components.fragment == nil else { throw refuse("it must not have a query or fragment") }
        if let port = components.port, !(1...65535).contains(port) { throw refuse("port \(port) is out of range") }
        if scheme == "http" && !GraphEndpoint.isLoopback(host: host) {
            throw GraphConfigurationError.insecureURL(role: role, url: trimmed)
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let bareHost = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let hostText = bareHost.contains(":") ? "[\(bareHost)]" : bareHost.lowercased()
        origin = "\(scheme)://\(hostText)" + (components.port.map { ":\($0)" } ?? "")
        text = origin + path
    }

    /// The URL with its last path segment `old` replaced by `new`; nil when it ends otherwise.
    func replacingLastSegment(_ old: String, with new: String) -> String? {
        guard text.hasSuffix("/" + old), text.count > origin.count else { return nil }
        return String(text.dropLast(old.count)) + new
    }

    /// 127.0.0.0/8, `::1` or `localhost`.
    static func isLoopback(host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "localhost." { return true }
        if bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.compactMap { octet -> Int? in
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), let value = Int(octet), value <= 255 else { return nil }
            return value
        }
        return values.count == 4 && values[0] == 127
    }

    /// A URL as it may be shown: a password in it would leak into logs and the database.
    static func redactingUserInfo(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let schemeEnd = text.range(of: "://"), schemeEnd.upperBound < at,
              !text[schemeEnd.upperBound..<at].contains("/") else { return text }
        return String(text[..<schemeEnd.upperBound]) + "<redacted>" + String(text[at...])
    }
}
