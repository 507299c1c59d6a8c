import Foundation
import MDMBatchShared

/// Where a tenant's devices come from, as `--fleet` and `--fleet-size` give them: an
/// inventory file (with a users file, or none), or N made-up devices and their users.
public enum FleetSource: Sendable, Equatable {
    case file(devices: String, users: String?)
    case synthetic(count: Int)
}

/// `--tenant ID=FLEET[,users=FILE][,size=N]`: one more tenant and its fleet. FLEET is an
/// inventory file, as `--fleet` takes; `size=N` instead of it makes N devices, as
/// `--fleet-size` does (`ID=size=N` or `ID=,size=N`).
public struct TenantSpec: Sendable, Equatable {
    public var id: String
    public var fleet: FleetSource

    public init(id: String, fleet: FleetSource) {
        self.id = id
        self.fleet = fleet
    }

    public init(flag text: String) throws(FlagValueError) {
        let expected = "expected ID=FILE[,users=FILE] or ID=size=N"
        guard let equals = text.firstIndex(of: "=") else { throw FlagValueError("--tenant \(text): \(expected).") }
        let id = String(text[..<equals])
        try Self.checkID(id, flag: "--tenant \(text)")
        var devices: String?, users: String?, size: Int?
        for (position, item) in text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .enumerated() {
            if item.hasPrefix("users=") {
                guard users == nil, item.count > "users=".count else { throw FlagValueError("--tenant \(text): \(expected).") }
                users = String(item.dropFirst("users=".count))
            } else if item.hasPrefix("size=") {
                guard size == nil, let count = Int(item.dropFirst("size=".count)), count >= 0 else {
                    throw FlagValueError("--tenant \(text): size=N takes a number of devices, 0 or more.")
                }
                size = count
            } else if position == 0 {
                if !item.isEmpty { devices = String(item) }
            } else {
                throw FlagValueError("--tenant \(text): \(item) is neither users=FILE nor size=N; \(expected).")
            }
        }
        switch (devices, size) {
        case (let devices?, nil):
            fleet = .file(devices: devices, users: users)
        case (nil, let size?):
            guard users == nil else {
                throw FlagValueError("--tenant \(text): users=FILE goes with a fleet file; size=N makes its own users.")
            }
            fleet = .synthetic(count: size)
        case (.some, .some):
            throw FlagValueError("--tenant \(text): give the fleet as a file or as size=N, not both.")
        case (nil, nil):
            throw FlagValueError("--tenant \(text): the fleet is missing; \(expected).")
        }
        self.id = id
    }

    /// A tenant id goes into the token URL's path and into other flags' values
    /// (`TENANT:NAME`, `TENANT@FROM-TO`): none of those separators, no spaces.
    public static func checkID(_ id: String, flag: String) throws(FlagValueError) {
        guard !id.isEmpty, !id.contains(where: { "/:@,=?#%".contains($0) || $0.isWhitespace }) else {
            throw FlagValueError("\(flag): the tenant id \"\(id)\" is empty or holds one of / : @ , = ? # % or a space.")
        }
    }

    /// The fleet, loaded (a file) or made (seeded with `seed`).
    public func load(seed: UInt64) throws -> Fleet {
        switch fleet {
        case .file(let devices, let users): try Fleet.load(devicesFile: devices, usersFile: users)
        case .synthetic(let count): Fleet.synthetic(count: count, seed: seed)
        }
    }
}
