import Foundation

/// How `tenant list` and `tenant show` print tenants.
public enum TenantText {
    /// Where a tenant signs in: its credentials file, else the app of the environment; and its endpoints.
    public static func signIn(_ tenant: TenantRecord) -> String {
        var text = tenant.credentialsPath.map { "credentials \(TerminalText.escaped($0))" } ?? "the app of the environment"
        if let endpoints = tenant.endpoints { text += " at \(endpoints.graphURL) (sign-in \(endpoints.authorityURL))" }
        return text
    }

    /// Its pace of writes and reads, or the run's.
    public static func pace(_ tenant: TenantRecord) -> String {
        "rate \(tenant.rate?.description ?? "the run's"), read rate \(tenant.readRate?.description ?? "the run's")"
    }

    /// One line a tenant, under a header.
    public static func table(_ tenants: [TenantRecord]) -> String {
        let rows = [["NAME", "TENANT ID", "SIGN-IN", "RATE", "READ RATE", "ADDED", "REMOVED"]] + tenants.map { tenant in
            [tenant.name.text, tenant.tenantID, tenant.credentialsPath.map(TerminalText.escaped) ?? "(environment)",
             tenant.rate?.description ?? "-", tenant.readRate?.description ?? "-", tenant.addedAt, tenant.removedAt ?? "-"]
        }
        let hasRemoved = tenants.contains { $0.removedAt != nil }
        let columns = hasRemoved ? rows[0].count : rows[0].count - 1
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in
            (0..<columns).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// `tenant show`: every field, one a line, then what the database holds of it.
    public static func details(_ details: TenantDetails) -> String {
        let tenant = details.tenant
        var lines = [
            "tenant:      \(tenant.name)",
            "tenant id:   \(tenant.tenantID)",
            "sign-in:     \(signIn(tenant))",
            "pace:        \(pace(tenant))",
            "added:       \(tenant.addedAt) by \(TerminalText.escaped(tenant.addedBy))",
        ]
        if let removedAt = tenant.removedAt {
            lines.append("removed:     \(removedAt) by \(TerminalText.escaped(tenant.removedBy ?? ""))")
        }
        lines.append("inventory:   \(details.devices) devices, \(details.users) users")
        return lines.joined(separator: "\n") + "\n"
    }

    /// JSON, keys sorted, as `status --json`.
    public static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
