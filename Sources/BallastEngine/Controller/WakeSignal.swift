import Synchronization

/// A wake-up one task waits for with a timeout, and others give: several signals before the
/// wait count as one, and a signal with nobody waiting is kept for the next wait.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Returns true when signalled (now or before), false once `duration` has passed on `clock`
    /// or the task is cancelled. A signal is never lost: one that comes as the time runs out is
    /// reported, or kept for the next wait.
    public func wait(for duration: Duration, clock: any ControllerClock) async -> Bool {
        if state.withLock({ state in defer { state.pending = false }; return state.pending }) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await clock.sleep(for: duration)
                return false
            }
            group.addTask { await self.signalled() }
            var woken = await group.next() ?? false
            group.cancelAll()
            for await result in group { woken = woken || result }
            return woken
        }
    }

    /// Returns true when signalled (now or before), false once the task is cancelled.
    public func wait() async -> Bool {
        if state.withLock({ state in defer { state.pending = false }; return state.pending }) { return true }
        return await signalled()
    }

    /// True when a signal woke it, false when cancelled.
    private func signalled() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled { return false }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
    }
}
