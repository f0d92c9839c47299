import BallastProviders
/// A work queue that workers await: an actor around ``WorkQueueState`` that sleeps until the
/// next key is due and spends no CPU while nothing is.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var state: WorkQueueState<Key>
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var isShutDown = false
    private var timer: Task<Void, Never>?
    private let clock: any ControllerClock

    public init(backoff: RetryPolicy = .reconcile, clock: any ControllerClock = SystemControllerClock()) {
        state = WorkQueueState(backoff: backoff)
        self.clock = clock
    }

    public var depth: Int { state.depth }

    public func add(_ key: Key) {
        state.add(key)
        wake()
    }

    public func add(_ key: Key, after delay: Duration) {
        state.add(key, at: clock.now + delay)
        wake()
    }

    public func addFailed(_ key: Key) {
        state.addFailed(key, now: clock.now)
        wake()
    }

    public func forget(_ key: Key) {
        state.forget(key)
    }

    public func done(_ key: Key) {
        state.done(key)
        wake()
    }

    /// The next key to reconcile; nil once the queue is shut down.
    public func next() async -> Key? {
        if isShutDown { return nil }
        if let key = state.next(now: clock.now) { return key }
        return await withCheckedContinuation { continuation in
            waiters.append(continuation)
            wake()
        }
    }

    /// Stops handing out keys: every waiting worker gets nil.
    public func shutDown() {
        isShutDown = true
        timer?.cancel()
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(returning: nil) }
    }

    /// Hands ready keys to waiting workers, and arms one timer for the next delayed key.
    private func wake() {
        while !waiters.isEmpty, let key = state.next(now: clock.now) {
            waiters.removeFirst().resume(returning: key)
        }
        timer?.cancel()
        timer = nil
        guard !waiters.isEmpty, let deadline = state.nextDeadline else { return }
        timer = Task { [clock] in
            try? await clock.sleep(until: deadline)
            guard !Task.isCancelled else { return }
            self.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        wake()
    }
}
