import Foundation
import MDMBatchShared

/// Every request and every effect, one JSON object per line, appended (O_APPEND) to a
/// file of mode 0600 before the answer goes out, so that a test can prove what the
/// service did even when the caller never heard back. Secrets never go in it.
public final class Journal: Sendable {
    private let file: AppendOnlyFile

    public init(path: String) throws(JournalError) {
        do {
            file = try AppendOnlyFile(path: path)
        } catch {
            throw JournalError(path: path, reason: error.reason)
        }
    }

    /// `type: request`: what was asked, by which app, and the status answered (0 for a
    /// connection closed without an answer). `tenant` (nil: not written, as for a service of
    /// one tenant given the old way): the token's, or the token URL's. `crossTenant`: the
    /// other tenants that hold the device a token of `tenant` asked for (answered 404).
    func request(method: String, path: String, app: String?, tenant: String? = nil, crossTenant: [String] = [],
                 trace: RequestTrace, status: Int, fault: InjectedFault?) {
        var json = JSONWriter()
        json.openObject()
        json.member("type", "request")
        json.member("time", GraphTime.string(trace.received))
        json.member("method", method)
        json.member("path", path)
        json.member("app", app)
        if let tenant { json.member("tenant", tenant) }
        if !crossTenant.isEmpty {
            json.key("cross_tenant")
            json.openArray()
            for other in crossTenant { json.string(other) }
            json.closeArray()
        }
        json.member("client_request_id", trace.clientRequestID)
        json.member("request_id", trace.requestID)
        json.member("status", status)
        if let fault { json.member("fault", fault.rawValue) }
        json.closeObject()
        file.append(json.text)
    }

    /// `type: effect`: an action took effect on a device; `count` is how many times this
    /// action has now taken effect there (a second reset voids the first passcode).
    /// `fails_on_device`: accepted, but it will end `failed` (a second Mac lock under
    /// `--second-mac-lock fails`); it counts all the same, as the service received it.
    /// `tenant`: the device's (nil: not written, as for requests).
    func effect(deviceID: String, tenant: String? = nil, action: DeviceAction, count: Int, failsOnDevice: Bool = false,
                time: Date, trace: RequestTrace) {
        var json = JSONWriter()
        json.openObject()
        json.member("type", "effect")
        json.member("time", GraphTime.string(time))
        json.member("device_id", deviceID)
        if let tenant { json.member("tenant", tenant) }
        json.member("action", action.rawValue)
        json.member("count", count)
        if failsOnDevice { json.key("fails_on_device"); json.bool(true) }
        json.member("client_request_id", trace.clientRequestID)
        json.member("request_id", trace.requestID)
        json.closeObject()
        file.append(json.text)
    }
}

public struct JournalError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot open the journal: \(reason)" }
}
