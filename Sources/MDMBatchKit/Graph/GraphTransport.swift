import Foundation

/// The device-management service over Microsoft Graph: `remoteLock` and `resetPasscode` on
/// `managedDevices`, and `deviceActionResults` to ask what became of them. Graph has no
/// idempotency key: the engine never sends again what must not happen twice, it asks.
public final class GraphTransport: DeviceActionTransport {
    /// An action the service reports as started this long before our first send may still be ours.
    public static let clockSkewAllowance: TimeInterval = 300

    public let session: GraphSession

    public init(session: GraphSession) {
        self.session = session
    }

    /// `POST …/managedDevices/{id}/remoteLock` (or `/resetPasscode`), no body. A 204 means
    /// the service accepted it; it carries no secret (those come through `lookup`).
    public func send(_ command: DeviceCommand) async throws -> TransportReceipt {
        let url = deviceURL(command.deviceID) + "/" + command.action.graphName
        let response = try await session.send(.post, url: url, requestID: command.attemptID)
        if let error = GraphAnswer.error(for: response, permission: GraphPermission.privilegedOperations.rawValue,
                                         clientRequestID: command.attemptID) { throw error }
        return TransportReceipt(channel: nil, effect: "accepted")
    }

    /// `GET …/managedDevices/{id}?$select=deviceActionResults`: the latest result of the
    /// action started at or after the first send (less the clock-skew allowance).
    public func lookup(_ query: ActionQuery) async throws -> ActionLookup {
        let url = deviceURL(query.deviceID) + "?$select=deviceActionResults"
        let response: GraphHTTPResponse
        do {
            response = try await session.send(.get, url: url, requestID: query.requestID)
        } catch let error as TransportError where !error.stopsRun {
            return .unanswered(error)
        }
        // The device is gone or never was: nothing was received for it.
        if response.status == 404 { return .notReceived }
        if let error = GraphAnswer.error(for: response, permission: GraphPermission.readDevices.rawValue) {
            if error.stopsRun { throw error }
            return .unanswered(error)
        }
        return Self.lookup(query, in: response.body)
    }

    public func shutdown() async {
        await session.shutdown()
    }

    private func deviceURL(_ deviceID: String) -> String {
        session.settings.graphURL + "/deviceManagement/managedDevices/" + FormFields.escape(deviceID)
    }

    /// Reads a `managedDevice` body (`{"deviceActionResults": [...]}`) for the query's action.
    static func lookup(_ query: ActionQuery, in body: [UInt8]) -> ActionLookup {
        guard let device = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .unknown("the answer about \(query.deviceID) is not a managedDevice JSON object")
        }
        let results: [[String: Any]]
        switch device["deviceActionResults"] {
        case nil, is NSNull: results = []
        case let array as [Any]: results = array.compactMap { $0 as? [String: Any] }
        default: return .unknown("the deviceActionResults of \(query.deviceID) are not an array")
        }
        let wanted = query.action.graphName.lowercased()
        let notBefore = query.firstSentAt?.addingTimeInterval(-clockSkewAllowance)
        var unreadableStart = false
        var latest: (start: Date, result: [String: Any])?
        for result in results {
            guard let name = result["actionName"] as? String,
                  name.lowercased().replacingOccurrences(of: " ", with: "") == wanted else { continue }
            guard let start = (result["startDateTime"] as? String).flatMap(GraphTimestamp.parse) else {
                unreadableStart = true
                continue
            }
            if let notBefore, start < notBefore { continue }  // an earlier action, not ours
            // several results of one action: the latest one's (on a tie of start, the one
            // listed last: a later reset voids the earlier passcode)
            if latest == nil || start >= latest!.start { latest = (start, result) }
        }
        guard let (start, result) = latest else {
            // Cannot tell whether the one without a readable start is ours.
            return unreadableStart ? .unknown("a \(query.action.graphName) result of \(query.deviceID) has no readable startDateTime")
                                   : .notReceived
        }
        let state = DeviceActionState(graph: result["actionState"] as? String)
        var secret: ServiceSecret?
        if let kind = query.secret {
            let field = kind == .temporaryPasscode ? "passcode" : "unlockPin"
            if let value = result[field] as? String, !value.isEmpty { secret = ServiceSecret(kind: kind, value: value) }
        }
        return .received(ActionReport(
            state: state, startedAt: start,
            updatedAt: (result["lastUpdatedDateTime"] as? String).flatMap(GraphTimestamp.parse),
            secret: secret, secretGone: query.secret != nil && state == .done && secret == nil))
    }
}

extension Action {
    /// The Graph action: `remoteLock`, `resetPasscode`.
    public var graphName: String {
        switch self {
        case .lock: "remoteLock"
        case .resetPasscode: "resetPasscode"
        }
    }
}

extension DeviceActionState {
    /// Graph's `actionState`: `none` (no state yet) and any value this version does not know
    /// read as `pending`: the action was received, and nothing says it ended.
    init(graph: String?) {
        switch graph {
        case "none", nil: self = .pending
        case let raw?: self = DeviceActionState(rawValue: raw) ?? .pending
        }
    }
}
