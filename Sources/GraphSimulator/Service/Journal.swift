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
    /// connection closed without an answer).
    func request(method: String, path: String, app: String?, trace: RequestTrace, status: Int, fault: InjectedFault?) {
        var json = JSONWriter()
        json.openObject()
        json.member("type", "request")
        json.member("time", GraphTime.string(trace.received))
        json.member("method", method)
        json.member("path", path)
        json.member("app", app)
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
    func effect(deviceID: String, action: DeviceAction, count: Int, failsOnDevice: Bool = false, time: Date,
                trace: RequestTrace) {
        var json = JSONWriter()
        json.openObject()
        json.member("type", "effect")
        json.member("time", GraphTime.string(time))
        json.member("device_id", deviceID)
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
