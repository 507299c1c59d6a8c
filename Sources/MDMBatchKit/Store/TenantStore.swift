import Foundation
import GRDB

extension TenantRecord {
    init(_ row: Row) {
        let graphURL: String? = row["graph_url"], authorityURL: String? = row["authority_url"]
        self.init(number: row["number"], name: (try? TenantName(row["name"] as String)) ?? .operatorTenant,
                  tenantID: row["tenant_id"], credentialsPath: row["credentials_path"],
                  endpoints: graphURL.flatMap { graph in authorityURL.map { TenantEndpoints(graphURL: graph, authorityURL: $0) } },
                  rate: (row["rate"] as String?).flatMap { RatePolicy.parse($0) ?? nil },
                  readRate: (row["read_rate"] as String?).flatMap { RatePolicy.parse($0) ?? nil },
                  addedAt: row["added_at"], addedBy: row["added_by"], removedAt: row["removed_at"], removedBy: row["removed_by"])
    }
}

extension StoreReader {
    /// Every tenant ever registered, removed ones included, by name.
    public func tenants() throws -> [TenantRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY name").map(TenantRecord.init)
    }

    /// The tenant registered under `name`, removed or not.
    public func tenant(named name: TenantName) throws -> TenantRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM tenants WHERE name = ?", arguments: [name.text]).map(TenantRecord.init)
    }

    /// The registered tenant (not removed) whose Entra tenant id is `tenantID`.
    func activeTenant(tenantID: String) throws -> TenantRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM tenants WHERE tenant_id = ? AND removed_at IS NULL",
                         arguments: [tenantID]).map(TenantRecord.init)
    }

    /// The registered tenant a command names (not `default`): `TenantError.unknownTenant`
    /// or `.removed` when it is not one now.
    public func registeredTenant(_ name: TenantName) throws -> TenantRecord {
        guard let tenant = try tenant(named: name) else { throw TenantError.unknownTenant(name.text) }
        if let removedAt = tenant.removedAt { throw TenantError.removed(name.text, at: removedAt) }
        return tenant
    }

    /// Whether any tenant was ever registered: until then the database writes what a
    /// database of one tenant does.
    public func hasTenants() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tenants)") ?? false
    }
}

extension StoreWriter {
    /// Registers `tenant` under the next number; returns it as recorded.
    func insertTenant(_ tenant: TenantRecord) throws -> TenantRecord {
        var recorded = tenant
        recorded.number = try Int64.fetchOne(db, sql: "SELECT coalesce(max(number), 0) + 1 FROM tenants")!
        try db.execute(
            sql: """
                INSERT INTO tenants (number, name, tenant_id, credentials_path, graph_url, authority_url, rate, read_rate,
                                     added_at, added_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [recorded.number, recorded.name.text, recorded.tenantID, recorded.credentialsPath,
                        recorded.endpoints?.graphURL, recorded.endpoints?.authorityURL, recorded.rate?.description,
                        recorded.readRate?.description, recorded.addedAt, recorded.addedBy])
        return recorded
    }

    /// Marks tenant `number` removed; its name stays taken.
    func markTenantRemoved(_ number: Int64, at time: String, by actor: String) throws {
        try db.execute(sql: "UPDATE tenants SET removed_at = ?, removed_by = ? WHERE number = ?", arguments: [time, actor, number])
    }
}
