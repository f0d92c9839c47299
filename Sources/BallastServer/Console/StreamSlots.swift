import Synchronization

/// A bound on the live streams open at once: each costs a look at the controller every second,
/// so a client opening streams without end must not take the daemon's time.
final class StreamSlots: Sendable {
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when all are taken.
    func take() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func give() {
        open.withLock { $0 = max(0, $0 - 1) }
    }
}
