import BallastProviders
import Collections

/// The state of a level-triggered work queue, after controller-runtime's: it holds keys only,
/// deduplicates them, never hands one key to two workers at once, and delays keys by
/// per-key exponential backoff. A pure state machine; ``WorkQueue`` drives it with a clock.
public struct WorkQueueState<Key: Hashable & Sendable>: Sendable {
    /// Ready keys, oldest first; each at most once.
    private var ready: OrderedSet<Key> = []
    /// Keys a worker holds now.
    private var processing: Set<Key> = []
    /// Keys added while a worker held them: handed out again once it is done.
    private var dirty: Set<Key> = []
    /// Keys waiting until an instant (backoff or requeue-after).
    private var delayed: [Key: ContinuousClock.Instant] = [:]
    private var failures: [Key: Int] = [:]
    public let backoff: RetryPolicy

    public init(backoff: RetryPolicy = .reconcile) {
        self.backoff = backoff
    }

    public var readyCount: Int { ready.count }
    public var processingCount: Int { processing.count }
    public var delayedCount: Int { delayed.count }
    /// Every key waiting in any form (for the queue-depth metric).
    public var depth: Int { ready.count + delayed.count + dirty.subtracting(ready).count }

    /// Asks for `key` to be reconciled as soon as possible (deduplicated).
    public mutating func add(_ key: Key) {
        delayed[key] = nil
        if processing.contains(key) {
            dirty.insert(key)
        } else {
            ready.append(key)
        }
    }

    /// Asks for `key` at `instant`, unless it is already due sooner.
    public mutating func add(_ key: Key, at instant: ContinuousClock.Instant) {
        if ready.contains(key) { return }
        if let existing = delayed[key], existing <= instant { return }
        delayed[key] = instant
    }

    /// Records a failed reconcile and schedules `key` after its backoff.
    public mutating func addFailed(_ key: Key, now: ContinuousClock.Instant) {
        let count = (failures[key] ?? 0) + 1
        failures[key] = count
        add(key, at: now + backoff.delay(afterAttempt: count))
    }

    /// Resets the backoff of `key` (after a success).
    public mutating func forget(_ key: Key) {
        failures[key] = nil
    }

    public func failureCount(_ key: Key) -> Int { failures[key] ?? 0 }

    /// Hands out the oldest ready key not being processed, moving due delayed keys first.
    public mutating func next(now: ContinuousClock.Instant) -> Key? {
        promote(now: now)
        guard let index = ready.firstIndex(where: { !processing.contains($0) }) else { return nil }
        let key = ready.remove(at: index)
        processing.insert(key)
        return key
    }

    /// A worker finished `key`; if it was added meanwhile, it is ready again.
    public mutating func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil, !ready.contains(key) {
            ready.append(key)
        }
    }

    /// When the next delayed key becomes due, if any.
    public var nextDeadline: ContinuousClock.Instant? { delayed.values.min() }

    private mutating func promote(now: ContinuousClock.Instant) {
        guard !delayed.isEmpty else { return }
        let due = delayed.filter { $0.value <= now }.sorted { $0.value < $1.value }
        for (key, _) in due {
            delayed[key] = nil
            if processing.contains(key) { dirty.insert(key) } else { ready.append(key) }
        }
    }
}
