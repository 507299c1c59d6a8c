import Dispatch
import Foundation
import Logging
import MDMBatchKit

/// SIGINT and SIGTERM ask the run to stop taking new work; in-flight calls finish within
/// the grace period. A second signal stops at once.
final class SignalWatch {
    private let sources: [DispatchSourceSignal]

    init(stop: StopSignal, logger: Logger) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let second = stop.isRequested
                logger.warning(second ? "second signal: stopping now" : "signal received: stopping after the calls in flight",
                               metadata: ["signal": "\(number)"])
                stop.request(.signal)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
