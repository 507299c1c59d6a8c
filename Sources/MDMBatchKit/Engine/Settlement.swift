import Foundation

/// Settles an element whose outcome is uncertain (a timeout, a crash after the call) and
/// that must not happen twice: the service is asked, never sent to blindly.
struct Settlement: Sendable {
    let transport: any DeviceActionTransport
    let ids: any IdentifierSource
    let secrets: any SecretSink
    let stop: StopSignal

    /// What to record once the service was asked: received → `succeeded` (with its secret
    /// when the service still holds it), never received → back to the queue, cannot tell
    /// → `unknown_outcome`. Nil when the service refused the sign-in or the permission to
    /// ask: the row stays as it is, the run stops, and a resumed run asks again.
    /// `fromUnknown`: the element ended `unknown_outcome` earlier (`--retry-unknown`); it
    /// moves only to `succeeded` or back to the queue, and an answer that still cannot
    /// tell leaves it as it is (nil).
    func settle(_ job: DispatchJob, attempt: Int, at now: Date, fromUnknown: Bool = false) async throws -> LedgerEntry? {
        let query = ActionQuery(idempotencyKey: job.key, action: job.action, deviceID: job.deviceID, platform: job.platform,
                                firstSentAt: job.firstSentAt ?? job.sentAt, secret: job.secret, requestID: ids.uuid())
        let answer: ActionLookup
        do {
            answer = try await transport.lookup(query)
        } catch let error as TransportError where error.stopsRun {
            stop.request(.serviceRefused(error))
            return nil
        } catch {
            answer = .unknown("\(error)")
        }
        switch answer {
        case .received(let report):
            let delivered = try secrets.deliver(report.secret, of: job)
            if let kind = job.secret, !delivered, !job.secretDelivered, report.secretGone {
                let note = "the service did it, but no longer holds its \(kind.displayName): "
                    + "send it again with a new request_id to get a new one"
                return .finished(job, state: fromUnknown ? .succeeded : .failed, attempt: attempt, error: note,
                                 channel: nil, effect: "received", secretDelivered: false, at: now)
            }
            return .finished(job, state: .succeeded, attempt: attempt, error: nil, channel: nil,
                             effect: "received (\(report.state.rawValue))", secretDelivered: delivered, at: now)
        case .notReceived:
            return .requeued(job, note: "the service never received it: safe to send", at: now)
        case .unknown(let why):
            if fromUnknown { return nil }
            return .finished(job, state: .unknownOutcome, attempt: attempt,
                             error: "the service cannot tell whether it was done (\(why)); not sent again automatically",
                             channel: nil, effect: nil, secretDelivered: false, at: now)
        }
    }
}
