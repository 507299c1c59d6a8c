import Foundation

/// Why the Graph settings or credentials cannot be used (exit 78). No message ever holds a
/// secret, a key or a token: files are named, values are not.
public enum GraphConfigurationError: LocalizedError, ClassifiedError, Equatable {
    /// A URL that is not an absolute `https://` (or loopback `http://`) URL.
    case malformedURL(role: String, url: String, reason: String)
    /// `http://` to a host that is not a loopback address.
    case insecureURL(role: String, url: String)
    /// A setting out of range (a timeout of zero, a pool of no connections).
    case invalidSetting(String)
    /// No beta URL: the Graph URL does not end in `v1.0` and none was given.
    case noBetaURL(graphURL: String)
    /// Credentials missing: names what is missing (environment variables or JSON keys).
    case missingCredentials(source: String, missing: [String])
    /// A value that cannot be right (both a secret and a certificate, a tenant id with a `/`).
    case invalidCredential(source: String, reason: String)
    /// A file holding a secret or a key that group or others may read.
    case unsafePermissions(path: String, mode: UInt16)
    /// A file holding a secret or a key that someone else could have written or swapped: a
    /// symbolic link, another user's file, a file in a folder group or others may write.
    case unsafeFile(path: String, reason: String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .malformedURL(let role, let url, let reason):
            "\(role) \(url) is not usable: \(reason)"
        case .insecureURL(let role, let url):
            "\(role) \(url): plain http:// is allowed only to a loopback address (127.0.0.0/8, ::1, localhost); use https://"
        case .invalidSetting(let message):
            message
        case .noBetaURL(let graphURL):
            "no Graph beta URL: the Graph URL \(graphURL) does not end in v1.0, so give the beta URL explicitly"
        case .missingCredentials(let source, let missing):
            "no Graph credentials: \(source) lacks \(missing.joined(separator: ", "))"
        case .invalidCredential(let source, let reason):
            "\(source): \(reason)"
        case .unsafePermissions(let path, let mode):
            "\(path): mode \(String(format: "%04o", mode)) lets group or others read it; allow the owner only (chmod 600 or 400)"
        case .unsafeFile(let path, let reason):
            "\(path): \(reason)"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .malformed(let path, let reason):
            "\(path): \(reason)"
        }
    }

    public var failureKind: FailureKind { .configuration }
}
