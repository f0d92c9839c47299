import BallastEngine
import Synchronization

/// A clock that moves only when a test says so: sleepers wake when ``advance(by:)`` passes
/// their deadline, never on real time.
public final class ManualClock: ControllerClock {
    private struct Sleeper {
        let id: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let state: Mutex<(now: ContinuousClock.Instant, sleepers: [Sleeper], nextID: Int)>

    public init(start: ContinuousClock.Instant = ContinuousClock.now) {
        state = Mutex((start, [], 0))
    }

    public var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if due { Task.isCancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now + duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

extension ManualClock {
    /// Moves the clock forward in steps of `step`, letting the tasks that sleep on it run between
    /// them, until `condition` holds or `limit` of clock time has passed; returns whether it held.
    /// Time moves only here.
    public func advance(by step: Duration, upTo limit: Duration, until condition: () async throws -> Bool = { false }) async rethrows -> Bool {
        var moved = Duration.zero
        while moved < limit {
            advance(by: step)
            moved += step
            for _ in 0..<20 { await Task.yield() }
            try? await Task.sleep(for: .milliseconds(2))
            if try await condition() { return true }
        }
        return try await condition()
    }
}
