import Foundation
import Hummingbird
import MDMBatchShared

/// The API version a request was made under: `beta` shows a few more properties.
public enum GraphVersion: String, Sendable, CaseIterable {
    case v1 = "v1.0"
    case beta
}

/// Where a read was asked, for the links and the context of its answer.
struct ReadRequest {
    var version: GraphVersion
    /// `http://127.0.0.1:PORT`
    var origin: String
    /// The path asked, without the query.
    var path: String
    var query: FormFields
    var authorization: String?
    var trace: RequestTrace

    var url: String { origin + path }
}

extension GraphService {
    /// managedDevice properties the simulator fills, in Graph's order.
    static let deviceProperties = [
        "id", "userPrincipalName", "deviceName", "operatingSystem", "osVersion", "managementAgent", "deviceEnrollmentType",
        "serialNumber", "imei", "lastSyncDateTime", "deviceActionResults",
    ]
    static let betaDeviceProperties = ["enrolledByUserPrincipalName"]
    /// Real managedDevice properties the simulator does not model: selectable, always null.
    static let unmodelledDeviceProperties = [
        "complianceState", "managedDeviceOwnerType", "enrolledDateTime", "model", "manufacturer", "emailAddress",
        "azureADDeviceId", "userDisplayName", "userId", "isEncrypted", "isSupervised", "jailBroken", "phoneNumber",
        "wiFiMacAddress", "managementState", "deviceRegistrationState", "managedDeviceName",
    ]
    static let userProperties = ["id", "userPrincipalName", "displayName", "mail", "department"]
    /// What `GET /users` shows without `$select` (Graph's default set, `department` not in it).
    static let defaultUserProperties = [
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
        "preferredLanguage", "surname", "userPrincipalName", "id",
    ]
    static let unmodelledUserProperties = [
        "businessPhones", "givenName", "jobTitle", "mobilePhone", "officeLocation", "preferredLanguage", "surname",
        "accountEnabled", "employeeId", "onPremisesSamAccountName",
    ]

    // MARK: managedDevices

    /// `GET /deviceManagement/managedDevices`: a page of at most 1 000 (`$top` fewer),
    /// `$select`, and `@odata.nextLink` with an opaque skip token until the last page.
    /// Of the token's tenant only.
    func listDevices(_ read: ReadRequest) throws(ServiceFailure) -> (body: String, caller: Caller, fault: InjectedFault?) {
        let caller = try authorize(read.authorization, permission: .readDevices, write: false, trace: read.trace)
        let tenant = caller.tenant, fleet = caller.tenant.fleet
        do throws(ServiceFailure) {
            try readFault(trace: read.trace)
            try refuseUnsupportedOptions(read)
            let explicit = try selection(read, known: deviceSelectable(read.version), type: "managedDevice")
            let selected = explicit ?? Self.deviceProperties + (read.version == .beta ? Self.betaDeviceProperties : [])
            let size = try pageSize(read, default: 1_000, max: 1_000, capped: true)
            let offset = min(try skip(read), fleet.devices.count)
            let end = min(offset + size, fleet.devices.count)
            let now = clock.now()
            let json = page(read, "deviceManagement/managedDevices", selected: explicit, offset ..< end, of: fleet.devices.count,
                            bytesPerItem: 420) { index, json in writeDevice(index, of: tenant, selected, now: now, into: &json) }
            if let page = configuration.malformedPage, offset / size + 1 == page {
                // the page breaks off inside its value: not JSON
                return (String(json.text.prefix(max(json.text.count / 2, 40))) + ",{\"id\":", caller, .malformed)
            }
            return (json.text, caller, nil)
        } catch {
            throw error.by(caller)
        }
    }

    /// `GET /deviceManagement/managedDevices/{id}` (`$select=deviceActionResults` for the actions),
    /// in the token's tenant: an id only other tenants hold is not found (and journalled so).
    func device(_ id: String, _ read: ReadRequest) throws(ServiceFailure) -> (body: String, caller: Caller) {
        let caller = try identify(read.authorization, trace: read.trace)
        let tenant = caller.tenant
        do throws(ServiceFailure) {
            try admit(caller, permission: .readDevices, write: false, trace: read.trace)
            try readFault(trace: read.trace)
            try refuseUnsupportedOptions(read)
            let explicit = try selection(read, known: deviceSelectable(read.version), type: "managedDevice")
            let selected = explicit ?? Self.deviceProperties + (read.version == .beta ? Self.betaDeviceProperties : [])
            guard let index = tenant.fleet.index(of: id) else { throw notFound(id, url: read.url, trace: read.trace) }
            var json = JSONWriter(capacity: 1024)
            json.openObject()
            json.member("@odata.context", context(read, "deviceManagement/managedDevices", selected: explicit) + "/$entity")
            writeDeviceMembers(index, of: tenant, selected, now: clock.now(), into: &json)
            json.closeObject()
            return (json.text, caller)
        } catch {
            throw error.by(caller, crossing: directory.crossing(id, from: tenant))
        }
    }

    private func deviceSelectable(_ version: GraphVersion) -> [String] {
        Self.deviceProperties + Self.unmodelledDeviceProperties + (version == .beta ? Self.betaDeviceProperties : [])
    }

    private func writeDevice(_ index: Int, of tenant: TenantDirectory.Tenant, _ selected: [String], now: Date,
                             into json: inout JSONWriter) {
        json.openObject()
        writeDeviceMembers(index, of: tenant, selected, now: now, into: &json)
        json.closeObject()
    }

    private func writeDeviceMembers(_ index: Int, of tenant: TenantDirectory.Tenant, _ selected: [String], now: Date,
                                    into json: inout JSONWriter) {
        let device = tenant.fleet.devices[index]
        for name in selected {
            switch name {
            case "id": json.member(name, device.id)
            case "userPrincipalName": json.member(name, device.userPrincipalName)
            case "deviceName": json.member(name, device.deviceName)
            case "operatingSystem": json.member(name, device.operatingSystem)
            case "osVersion": json.member(name, device.osVersion)
            case "managementAgent": json.member(name, device.managementAgent)
            case "deviceEnrollmentType": json.member(name, device.deviceEnrollmentType)
            case "serialNumber": json.member(name, device.serialNumber)
            case "imei": json.member(name, device.imei)
            case "lastSyncDateTime": json.member(name, device.lastSyncDateTime)
            case "enrolledByUserPrincipalName": json.member(name, device.enrolledByUserPrincipalName)
            case "deviceActionResults": writeActionResults(index, of: tenant, now: now, into: &json)
            default: json.key(name); json.null()
            }
        }
    }

    private func writeActionResults(_ index: Int, of tenant: TenantDirectory.Tenant, now: Date, into json: inout JSONWriter) {
        json.key("deviceActionResults")
        json.openArray()
        for result in tenant.book.results(index: index, now: now) {
            json.openObject()
            let type = switch result.secretField {
            case .unlockPin: "#microsoft.graph.remoteLockActionResult"
            case .passcode: "#microsoft.graph.resetPasscodeActionResult"
            case nil: result.action == .resetPasscode ? "#microsoft.graph.resetPasscodeActionResult"
                                                      : "#microsoft.graph.deviceActionResult"
            }
            json.member("@odata.type", type)
            json.member("actionName", result.action.rawValue)
            json.member("actionState", result.state.rawValue)
            json.member("startDateTime", GraphTime.string(result.started))
            json.member("lastUpdatedDateTime", GraphTime.string(result.lastUpdated))
            switch result.secretField {
            case .unlockPin: json.member("unlockPin", result.secret)
            case .passcode: json.member("passcode", result.secret)
            case nil: if result.action == .resetPasscode { json.member("passcode", nil) }
            }
            json.closeObject()
        }
        json.closeArray()
    }

    /// A collection page: `@odata.context`, `@odata.nextLink` while more follow, and a
    /// `value` of the items in `range` (of `count`), each written by `item`.
    private func page(_ read: ReadRequest, _ path: String, selected explicit: [String]?, _ range: Range<Int>, of count: Int,
                      bytesPerItem: Int, item: (Int, inout JSONWriter) -> Void) -> JSONWriter {
        var json = JSONWriter(capacity: range.count * bytesPerItem + 400)
        json.openObject()
        json.member("@odata.context", context(read, path, selected: explicit))
        if range.upperBound < count { json.member("@odata.nextLink", nextLink(read, offset: range.upperBound)) }
        json.key("value")
        json.openArray()
        for index in range { item(index, &json) }
        json.closeArray()
        json.closeObject()
        return json
    }

    // MARK: users

    /// `GET /users`: 100 a page unless `$top` (at most 999) says otherwise, `$select`,
    /// `@odata.nextLink`.
    /// Of the token's tenant only.
    func listUsers(_ read: ReadRequest) throws(ServiceFailure) -> (body: String, caller: Caller) {
        let caller = try authorize(read.authorization, permission: .readUsers, write: false, trace: read.trace)
        let fleet = caller.tenant.fleet
        do throws(ServiceFailure) {
            try readFault(trace: read.trace)
            try refuseUnsupportedOptions(read)
            let explicit = try selection(read, known: Self.userProperties + Self.unmodelledUserProperties, type: "user")
            let selected = explicit ?? Self.defaultUserProperties
            let size = try pageSize(read, default: 100, max: 999, capped: false)
            let offset = min(try skip(read), fleet.users.count)
            let end = min(offset + size, fleet.users.count)
            let json = page(read, "users", selected: explicit, offset ..< end, of: fleet.users.count, bytesPerItem: 200) { index, json in
                let user = fleet.users[index]
                json.openObject()
                for name in selected {
                    switch name {
                    case "id": json.member(name, user.id)
                    case "userPrincipalName": json.member(name, user.userPrincipalName)
                    case "displayName": json.member(name, user.displayName)
                    case "mail": json.member(name, user.mail)
                    case "department": json.member(name, user.department)
                    case "businessPhones": json.key(name); json.openArray(); json.closeArray()
                    default: json.key(name); json.null()
                    }
                }
                json.closeObject()
            }
            return (json.text, caller)
        } catch {
            throw error.by(caller)
        }
    }

    // MARK: Query options

    private func badRequest(_ message: String, _ read: ReadRequest) -> ServiceFailure {
        .graph(.badRequest, code: "BadRequest", message: message, trace: read.trace)
    }

    private func refuseUnsupportedOptions(_ read: ReadRequest) throws(ServiceFailure) {
        for (key, _) in read.query.pairs where key.hasPrefix("$") {
            guard ["$select", "$top", "$skiptoken"].contains(key) else {
                throw badRequest("The query option '\(key)' is not supported by graph-sim.", read)
            }
        }
    }

    /// The `$select`ed properties in canonical spelling, nil without `$select`. An unknown
    /// one is refused as Graph refuses it (`enrolledByUserPrincipalName` is beta only).
    private func selection(_ read: ReadRequest, known: [String], type: String) throws(ServiceFailure) -> [String]? {
        guard let text = read.query["$select"] else { return nil }
        var selected: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let canonical = known.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw badRequest("Could not find a property named '\(name)' on type 'microsoft.graph.\(type)'.", read)
            }
            if !selected.contains(canonical) { selected.append(canonical) }
        }
        guard !selected.isEmpty else { throw badRequest("The query specified in the URI is not valid. $select is empty.", read) }
        return selected
    }

    private func pageSize(_ read: ReadRequest, default size: Int, max: Int, capped: Bool) throws(ServiceFailure) -> Int {
        guard let text = read.query["$top"] else { return size }
        guard let top = Int(text), top >= 1 else {
            throw badRequest("Invalid page size specified: '\(text)'. Must be between 1 and \(max) inclusive.", read)
        }
        if top > max {
            if capped { return max }
            throw badRequest("Invalid page size specified: '\(text)'. Must be between 1 and \(max) inclusive.", read)
        }
        return top
    }

    /// The skip token is opaque to clients: base64url of a tagged offset.
    private func skip(_ read: ReadRequest) throws(ServiceFailure) -> Int {
        guard let token = read.query["$skiptoken"] else { return 0 }
        guard let bytes = Base64URL.decode(token), case let text = String(decoding: bytes, as: UTF8.self),
              text.hasPrefix("graph-sim:"), let offset = Int(text.dropFirst("graph-sim:".count)), offset >= 0 else {
            throw badRequest("The skip token '\(token)' is not valid.", read)
        }
        return offset
    }

    private func nextLink(_ read: ReadRequest, offset: Int) -> String {
        let token = Base64URL.encode(Array("graph-sim:\(offset)".utf8))
        let kept = read.query.pairs.filter { $0.key != "$skiptoken" }.map { ($0.key, $0.value) }
        return read.url + "?" + FormFields.encode(kept + [("$skiptoken", token)], keepingQuerySigns: true)
    }

    private func context(_ read: ReadRequest, _ entitySet: String, selected: [String]?) -> String {
        "\(read.origin)/\(read.version.rawValue)/$metadata#\(entitySet)"
            + (selected.map { "(" + $0.joined(separator: ",") + ")" } ?? "")
    }
}
