import Foundation

/// Which service a run sent to (DESIGN.md, "Same service, same identity"): the transport
/// and, for Graph, the normalised origin of its URL. Only earlier elements of the same
/// service count for `already_done`, `unknown_earlier` and `unlock_pin_outstanding`: a
/// rehearsal over the mock never blocks the real run.
///
/// Recorded with each run as one text (`runs.service`), compared whole, so that a tenant
/// can join it later without a second column to compare.
public struct ServiceIdentity: Sendable, Hashable, CustomStringConvertible {
    public var kind: TransportSettings.Kind
    /// Graph's `scheme://host[:port]`, lower-cased, the default port left out; nil for the mock.
    public var origin: String?

    /// The built-in stand-in: every mock is the same rehearsal service.
    public static let mock = ServiceIdentity(kind: .mock, origin: nil)

    public init(kind: TransportSettings.Kind, origin: String?) {
        self.kind = kind
        self.origin = kind == .graph ? origin : nil
    }

    /// The service the settings send to.
    public init(_ settings: TransportSettings) {
        switch settings.kind {
        case .mock: self = .mock
        case .graph: self.init(kind: .graph, origin: Self.origin(of: settings.graphURL))
        }
    }

    /// The text recorded with a run: `mock`, or `graph https://graph.microsoft.com`.
    public var key: String {
        [kind.rawValue, origin].compactMap { $0 }.joined(separator: " ")
    }

    /// Read back from `runs.service`.
    public init?(key: String) {
        let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
        guard let kind = parts.first.flatMap(TransportSettings.Kind.init(rawValue:)) else { return nil }
        self.init(kind: kind, origin: parts.count > 1 ? parts[1] : nil)
    }

    /// For people: `the mock`, `Graph at https://graph.microsoft.com`.
    public var description: String {
        switch kind {
        case .mock: "the mock"
        case .graph: "Graph at \(origin ?? "?")"
        }
    }

    /// `scheme://host[:port]` of a URL, lower-cased, without path, query, fragment or the
    /// scheme's default port: `HTTPS://Graph.Microsoft.com:443/v1.0/` and
    /// `https://graph.microsoft.com/v1.0` are one service. (migrations/v0008 does the same
    /// in SQL for the runs recorded before; a URL with a user in it is refused before a run.)
    public static func origin(of url: String) -> String {
        var text = url.trimmingCharacters(in: .whitespaces).lowercased()
        var scheme = ""
        if let separator = text.range(of: "://") {
            scheme = String(text[..<separator.lowerBound])
            text = String(text[separator.upperBound...])
        }
        if let end = text.firstIndex(where: { "/?#".contains($0) }) { text = String(text[..<end]) }
        let defaultPort = ["https": ":443", "http": ":80"][scheme]
        if let defaultPort, text.hasSuffix(defaultPort) { text.removeLast(defaultPort.count) }
        return scheme.isEmpty ? text : scheme + "://" + text
    }
}
