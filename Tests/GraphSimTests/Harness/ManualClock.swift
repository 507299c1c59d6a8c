import Foundation
import GraphSimulator
import Synchronization

/// A clock the test moves: the in-process simulator's time stands still until `advance`.
final class ManualClock: SimClock {
    private let elapsed = Mutex<Double>(0)
    /// The wall-clock time at which the clock was made (now, so that tokens and assertions
    /// made from the real time fit).
    let start: Date

    init(start: Date = Date()) {
        self.start = start
    }

    func now() -> Date { start.addingTimeInterval(uptime()) }

    func uptime() -> Double { elapsed.withLock { $0 } }

    func advance(by seconds: Double) {
        elapsed.withLock { $0 += seconds }
    }
}
