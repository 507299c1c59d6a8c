import Foundation

/// What `tenant add` is given. Paths and settings, never a secret.
public struct TenantAddRequest: Sendable {
    public var name: String
    public var tenantID: String
    /// A credentials file for this tenant's app; nil: the app of the environment.
    public var credentialsPath: String?
    public var graphURL: String?
    public var authorityURL: String?
    public var rate: RatePolicy?
    public var readRate: RatePolicy?
    /// Who registers it (the operator's chain records it).
    public var actor: String

    public init(name: String, tenantID: String, actor: String) {
        self.name = name
        self.tenantID = tenantID
        self.actor = actor
    }
}

/// What `tenant remove` did.
public struct TenantRemoval: Sendable, Equatable {
    public var tenant: TenantRecord
    public var devicesRemoved: Int
    public var usersRemoved: Int
}

/// One tenant and what the database holds of it (`tenant show`).
public struct TenantDetails: Sendable, Equatable {
    public var tenant: TenantRecord
    public var devices: Int
    public var users: Int
}

/// The registry of customer tenants (DESIGN.md, "Several tenants in one database"): `tenant
/// add`, `list`, `show` and `remove`. Every change is a row of the operator's (`default`)
/// audit chain, sealed as an import's is.
public enum TenantRegistry {
    /// Registers a customer tenant. Refused: a name that is not one or is `default` (64); a
    /// tenant id that is not a GUID (64); a name registered now or ever before, a tenant id
    /// registered now (65); a credentials file that cannot be used or names another tenant
    /// (78); endpoints that are not usable (78). Nothing is written when refused.
    public static func add(_ request: TenantAddRequest, into database: AppDatabase, at time: Date) throws -> TenantRecord {
        let name = try TenantName(request.name)
        guard !name.isOperator else { throw TenantError.reservedName }
        guard let tenantID = normalisedTenantID(request.tenantID) else { throw TenantError.invalidTenantID(request.tenantID) }
        var credentialsPath: String?
        if let path = request.credentialsPath {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            _ = try GraphCredentials.load(file: absolute, tenantID: tenantID)
            credentialsPath = absolute
        }
        var endpoints: TenantEndpoints?
        switch (request.graphURL, request.authorityURL) {
        case (nil, nil): break
        case (let graph?, let authority?):
            endpoints = TenantEndpoints(graphURL: try GraphEndpoint(role: "Graph URL", graph).text,
                                        authorityURL: try GraphEndpoint(role: "authority URL", authority).text)
        default:
            throw GraphConfigurationError.invalidSetting("a tenant's --graph-url and --authority-url go together: give both or neither")
        }
        let tenant = TenantRecord(number: 0, name: name, tenantID: tenantID, credentialsPath: credentialsPath, endpoints: endpoints,
                                  rate: request.rate, readRate: request.readRate, addedAt: ISOTimestamp.formatMillis(time),
                                  addedBy: request.actor)
        return try database.write { store in
            try store.checkSealing(.required)
            if let taken = try store.reader.tenant(named: name) {
                if let removedAt = taken.removedAt { throw TenantError.nameRetired(name.text, removedAt: removedAt) }
                throw TenantError.nameTaken(name.text)
            }
            if let holder = try store.reader.activeTenant(tenantID: tenantID) {
                throw TenantError.tenantIDTaken(tenantID: tenantID, name: holder.name.text)
            }
            let recorded = try store.insertTenant(tenant)
            try store.appendAudit(.tenantAdded(recorded, actor: request.actor), at: time, checkpoint: .required)
            return recorded
        }
    }

    /// Every tenant registered, by name; removed ones only when asked.
    public static func list(_ database: AppDatabase, includingRemoved: Bool = false) throws -> [TenantRecord] {
        try database.read { try $0.tenants() }.filter { includingRemoved || $0.removedAt == nil }
    }

    /// One tenant, removed or not, with what the database holds of it.
    public static func show(_ name: String, in database: AppDatabase) throws -> TenantDetails {
        let name = try TenantName(name)
        return try database.read { store in
            guard let tenant = try store.tenant(named: name) else { throw TenantError.unknownTenant(name.text) }
            let held = try store.inventoryCounts(tenant: tenant.number)
            return TenantDetails(tenant: tenant, devices: held.devices, users: held.users)
        }
    }

    /// Removes a tenant: refused (65) while an unfinished run holds elements of it; else
    /// its devices and users are deleted, its runs and its audit chain kept, and its name
    /// stays taken. One transaction.
    public static func remove(_ name: String, actor: String, from database: AppDatabase, at time: Date) throws -> TenantRemoval {
        let name = try TenantName(name)
        guard !name.isOperator else { throw TenantError.reservedName }
        return try database.write { store in
            try store.checkSealing(.required)
            guard let tenant = try store.reader.tenant(named: name) else { throw TenantError.unknownTenant(name.text) }
            if let removedAt = tenant.removedAt { throw TenantError.removed(name.text, at: removedAt) }
            let holding = try store.reader.unfinishedRuns(holdingTenant: tenant.number)
            guard holding.isEmpty else { throw TenantError.heldByRun(name.text, runs: holding) }
            let deleted = try store.deleteInventory(tenant: tenant.number)
            let stamp = ISOTimestamp.formatMillis(time)
            try store.markTenantRemoved(tenant.number, at: stamp, by: actor)
            var removed = tenant
            (removed.removedAt, removed.removedBy) = (stamp, actor)
            let removal = TenantRemoval(tenant: removed, devicesRemoved: deleted.devices, usersRemoved: deleted.users)
            try store.appendAudit(.tenantRemoved(removal, actor: actor), at: time, checkpoint: .required)
            return removal
        }
    }

    /// A GUID in lower case, or nil when `text` is not one.
    static func normalisedTenantID(_ text: String) -> String? {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        let groups = lower.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
              groups.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }) else { return nil }
        return lower
    }
}
