import Synchronization

/// An operation raced against a timer, answered by whichever ends first: the operation's result,
/// or ``PostgresStateStore/DeadlinePassed``. The loser is cancelled and never waited for.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, body: @escaping @Sendable () async throws -> T, limit: Duration) {
        let cancelledAlready = state.withLock { state in
            state.continuation = continuation
            return state.cancelled
        }
        if cancelledAlready {
            finish(.failure(CancellationError()))
            return
        }
        let work = Task {
            do {
                self.finish(.success(try await body()))
            } catch {
                self.finish(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            self.finish(.failure(PostgresStateStore.DeadlinePassed()))
        }
        state.withLock { state in
            state.work = work
            state.timer = timer
        }
        // Either may have ended before its handle was stored: finish again stops the other.
        if state.withLock({ $0.continuation == nil }) {
            work.cancel()
            timer.cancel()
        }
    }

    /// The caller's task was cancelled: it is answered at once, the operation cancelled.
    func cancel() {
        state.withLock { $0.cancelled = true }
        finish(.failure(CancellationError()))
    }

    /// Answers the caller once; later calls do nothing but stop what is still running.
    private func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
