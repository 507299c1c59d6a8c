import Foundation
import MDMBatchShared

/// The values of graph-sim's own flags that are neither plain numbers nor names.
public enum FlagValues {
    /// Seconds: `500ms`, or what mdmbatch's own durations read (`5`, `5s`, `2m`), or `0` (`0s`).
    public static func seconds(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let zero = Double(text.hasSuffix("s") ? String(text.dropLast()) : text), zero == 0 { return 0 }
        if text.hasSuffix("ms") {
            guard let millis = Double(text.dropLast(2)), millis.isFinite, millis >= 0 else { return nil }
            return millis / 1000
        }
        return TimeSpan.seconds(text)
    }

    /// Events per second: `N`, `N/s`, or `N/DURATION` (`300/20s`); `0` for none.
    public static func perSecond(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard (1...2).contains(parts.count), let count = Double(parts[0]), count.isFinite, count >= 0 else { return nil }
        guard parts.count == 2 else { return count }
        guard let seconds = parts[1] == "s" ? 1 : TimeSpan.seconds(parts[1]) else { return nil }
        return count / seconds
    }
}

/// A flag value that does not read (the message names the flag and says what it expects).
public struct FlagValueError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension FlagValues {
    /// `--deny-permission [TENANT:]NAME`: the tenant (nil: every tenant) and the permission.
    public static func deniedPermission(_ text: String) throws(FlagValueError) -> (tenant: String?, permission: GraphPermission) {
        let names = GraphPermission.allCases.map(\.rawValue).joined(separator: ", ")
        var tenant: String?, name = text
        if let colon = text.firstIndex(of: ":") {
            tenant = String(text[..<colon])
            name = String(text[text.index(after: colon)...])
            try TenantSpec.checkID(tenant!, flag: "--deny-permission \(text)")
        }
        guard let permission = GraphPermission(rawValue: name) else {
            throw FlagValueError("--deny-permission: unknown permission \(name); one of \(names).")
        }
        return (tenant, permission)
    }

    /// `--refuse-sign-in TENANT@FROM-TO`: seconds after the start (`30`, `30s`, `1m`, `500ms`).
    public static func signInRefusal(_ text: String) throws(FlagValueError) -> SignInRefusal {
        let expected = "expected TENANT@FROM-TO, seconds after the start (e.g. \(SimConfiguration.defaultTenant)@0-30)"
        guard let at = text.lastIndex(of: "@") else { throw FlagValueError("--refuse-sign-in \(text): \(expected).") }
        let tenant = String(text[..<at])
        try TenantSpec.checkID(tenant, flag: "--refuse-sign-in \(text)")
        let times = text[text.index(after: at)...].split(separator: "-", omittingEmptySubsequences: false)
        guard times.count == 2, let from = seconds(String(times[0])), let to = seconds(String(times[1])), from <= to else {
            throw FlagValueError("--refuse-sign-in \(text): \(expected), FROM at most TO.")
        }
        return SignInRefusal(tenant: tenant, from: from, to: to)
    }
}
