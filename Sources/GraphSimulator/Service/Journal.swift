import Foundation
import NIOConcurrencyHelpers

/// Every request and every effect, one JSON object per line, appended (O_APPEND) to a
/// file of mode 0600 before the answer goes out, so that a test can prove what the
/// service did even when the caller never heard back. Secrets never go in it.
public final class Journal: Sendable {
    private let descriptor: Int32
    private let lock = NIOLock()

    public init(path: String) throws(JournalError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError(path: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
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
        append(json.text)
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
        append(json.text)
    }

    private func append(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.withLock {
            // one write(2) per line: O_APPEND keeps lines whole
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

public struct JournalError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot open the journal: \(reason)" }
}
