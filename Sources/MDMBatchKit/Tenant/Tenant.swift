import Foundation

/// A tenant's name in this database: `[a-z0-9][a-z0-9-]{0,39}`. `default` is the operator's
/// own tenant, the one a database without registered tenants serves; it is never registered.
public struct TenantName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let text: String

    /// The operator's own tenant.
    public static let operatorTenant = TenantName(checked: "default")

    /// A name as a user gave it; throws `TenantError.invalidName` when it is not one.
    public init(_ text: String) throws(TenantError) {
        guard Self.isValid(text) else { throw .invalidName(text) }
        self.text = text
    }

    private init(checked text: String) { self.text = text }

    /// Whether `text` is a tenant name: a lower-case letter or digit, then up to 39 more or `-`.
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...40).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }

    public var isOperator: Bool { self == .operatorTenant }
    public var description: String { text }
    public static func < (a: TenantName, b: TenantName) -> Bool { a.text < b.text }
}

/// A registered customer tenant, as `tenant add` recorded it: where its app signs in and
/// what pace it keeps. Never a secret: a credentials file is kept by its path.
public struct TenantRecord: Sendable, Equatable {
    /// Its key in the tables that hold its rows (0 is `default`, which has no record).
    public var number: Int64
    public var name: TenantName
    /// The Entra tenant id, a GUID in lower case.
    public var tenantID: String
    /// An absolute path; nil: the app of the environment (one multi-tenant app).
    public var credentialsPath: String?
    /// Its Graph and sign-in endpoints, both or neither; nil: the command's.
    public var endpoints: TenantEndpoints?
    /// Its pace of writes and of reads; nil: the command's.
    public var rate: RatePolicy?
    public var readRate: RatePolicy?
    public var addedAt: String
    public var addedBy: String
    /// When and by whom it was removed (both or neither): its runs and audit chain are kept,
    /// its name is never given again.
    public var removedAt: String?
    public var removedBy: String?

    public init(number: Int64, name: TenantName, tenantID: String, credentialsPath: String?, endpoints: TenantEndpoints?,
                rate: RatePolicy?, readRate: RatePolicy?, addedAt: String, addedBy: String,
                removedAt: String? = nil, removedBy: String? = nil) {
        self.number = number
        self.name = name
        self.tenantID = tenantID
        self.credentialsPath = credentialsPath
        self.endpoints = endpoints
        self.rate = rate
        self.readRate = readRate
        self.addedAt = addedAt
        self.addedBy = addedBy
        self.removedAt = removedAt
        self.removedBy = removedBy
    }
}

/// A tenant's own Graph URL and sign-in authority (a sovereign cloud, a simulator).
public struct TenantEndpoints: Sendable, Equatable {
    public var graphURL: String
    public var authorityURL: String

    public init(graphURL: String, authorityURL: String) {
        self.graphURL = graphURL
        self.authorityURL = authorityURL
    }
}

/// What the registry refuses.
public enum TenantError: LocalizedError, ClassifiedError, Equatable {
    case invalidName(String)
    case reservedName
    case invalidTenantID(String)
    case nameTaken(String)
    case nameRetired(String, removedAt: String)
    case tenantIDTaken(tenantID: String, name: String)
    case credentialsForAnotherTenant(path: String, names: String, registered: String)
    case unknownTenant(String)
    case removed(String, at: String)
    case heldByRun(String, runs: [String])

    public var errorDescription: String? {
        switch self {
        case .invalidName(let text):
            "\"\(text)\" is not a tenant name: 1 to 40 of a-z, 0-9 and -, not starting with -"
        case .reservedName:
            "default is the operator's own tenant (the one without a registration); give the customer another name"
        case .invalidTenantID(let text):
            "--tenant-id \(text) is not a tenant id: give the customer's Entra tenant id, a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        case .nameTaken(let name):
            "a tenant named \(name) is registered already (mdmbatch tenant show \(name))"
        case .nameRetired(let name, let at):
            "the name \(name) belonged to a tenant removed at \(at): its runs and audit chain still carry it, so it is never given again; choose another"
        case .tenantIDTaken(let tenantID, let name):
            "tenant id \(tenantID) is registered already, as \(name): one name per customer tenant"
        case .credentialsForAnotherTenant(let path, let names, let registered):
            "\(path) holds credentials for tenant \(names), not \(registered); give that tenant's file, or none to use the app of the environment"
        case .unknownTenant(let name):
            "no tenant \(name) in this database (mdmbatch tenant list lists them)"
        case .removed(let name, let at):
            "tenant \(name) was removed at \(at)"
        case .heldByRun(let name, let runs):
            "tenant \(name) has elements in an unfinished run (\(runs.joined(separator: ", "))): finish or resume it first"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .invalidName, .reservedName, .invalidTenantID: .usage
        case .credentialsForAnotherTenant: .configuration
        case .unknownTenant, .removed: .noInput
        case .nameTaken, .nameRetired, .tenantIDTaken, .heldByRun: .dataError
        }
    }
}

/// `tenant list --json` and `tenant show --json`: every field under its snake_case name,
/// absent values as null. Never a secret: the credentials are a path.
extension TenantRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, tenantID = "tenant_id", credentials, graphURL = "graph_url", authorityURL = "authority_url", rate
        case readRate = "read_rate", addedAt = "added_at", addedBy = "added_by", removedAt = "removed_at", removedBy = "removed_by"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name.text, forKey: .name)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(credentialsPath, forKey: .credentials)
        try container.encode(endpoints?.graphURL, forKey: .graphURL)
        try container.encode(endpoints?.authorityURL, forKey: .authorityURL)
        try container.encode(rate?.description, forKey: .rate)
        try container.encode(readRate?.description, forKey: .readRate)
        try container.encode(addedAt, forKey: .addedAt)
        try container.encode(addedBy, forKey: .addedBy)
        try container.encode(removedAt, forKey: .removedAt)
        try container.encode(removedBy, forKey: .removedBy)
    }
}

extension TenantDetails: Encodable {
    enum CodingKeys: String, CodingKey { case devices, users }

    public func encode(to encoder: any Encoder) throws {
        try tenant.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(devices, forKey: .devices)
        try container.encode(users, forKey: .users)
    }
}

/// A name, as its text.
extension TenantName: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard Self.isValid(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a tenant name: \(text)"))
        }
        self.text = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

extension GraphCredentials {
    /// A registered tenant's own credentials file, which must name its tenant id
    /// (`tenantID`, lower case): `TenantError.credentialsForAnotherTenant` (78) otherwise.
    static func load(file: String, tenantID: String) throws -> GraphCredentials {
        let credentials = try load(file: file)
        guard credentials.tenantID.lowercased() == tenantID else {
            throw TenantError.credentialsForAnotherTenant(path: file, names: credentials.tenantID, registered: tenantID)
        }
        return credentials
    }
}
