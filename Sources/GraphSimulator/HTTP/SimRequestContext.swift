import Hummingbird
import NIOCore

/// The request context of the simulator: Hummingbird's core, the connection (so that a
/// fault can close it without an answer) and the ids of the request.
public struct SimRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Set by `ServiceFrontMiddleware` before any route runs.
    var trace = RequestTrace(requestID: "")

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
