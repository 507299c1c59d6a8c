import Foundation

/// A tenant the simulator serves: its id (the `{tenant}` of the token URL) and its fleet.
public struct ServedTenant: Sendable {
    public var id: String
    public var fleet: Fleet

    public init(id: String, fleet: Fleet) {
        self.id = id
        self.fleet = fleet
    }
}

/// The tenants the simulator serves (DESIGN.md, "Several tenants in one database"), each
/// with its fleet and what its devices received. A device id may exist in several tenants:
/// each is a device of its own there, with its own actions.
struct TenantDirectory: Sendable {
    struct Tenant: Sendable {
        /// As given on the command line; tenant ids match case-insensitively, as Entra's do.
        let id: String
        let fleet: Fleet
        let book: ActionBook
    }

    /// In the order given.
    let all: [Tenant]
    private let byKey: [String: Int]

    init(_ served: [ServedTenant], configuration: SimConfiguration, dice: SeededDice) {
        all = served.map { Tenant(id: $0.id, fleet: $0.fleet, book: ActionBook(configuration: configuration, dice: dice)) }
        byKey = Dictionary(served.enumerated().map { ($0.element.id.lowercased(), $0.offset) },
                           uniquingKeysWith: { first, _ in first })
    }

    func tenant(_ id: String) -> Tenant? {
        byKey[id.lowercased()].map { all[$0] }
    }

    /// When `tenant` holds no device of this id, the other tenants that do: a token of
    /// `tenant` asking for it crosses tenants (the service answers 404; the journal says so).
    /// Empty when `tenant` holds it (its own device) or nobody does.
    func crossing(_ deviceID: String, from tenant: Tenant) -> [String] {
        guard all.count > 1, tenant.fleet.index(of: deviceID) == nil else { return [] }
        return all.filter { $0.id != tenant.id && $0.fleet.index(of: deviceID) != nil }.map(\.id)
    }
}

/// Who is calling: the app of the bearer token and the tenant the token was issued for.
struct Caller: Sendable {
    var app: String
    var tenant: TenantDirectory.Tenant
}
