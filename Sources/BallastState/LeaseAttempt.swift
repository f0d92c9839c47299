/// One try at granting the lease, as a store's transaction decided it.
public enum LeaseAttempt: Sendable {
    /// Granted; `previous` is the holder it was taken over from (gone or lapsed), if any.
    case granted(LockHolder, previous: LockHolder?)
    /// Another live holder keeps it.
    case blocked(by: LockHolder)

    /// Tries `attempt` every 200 ms until it grants the lease or `wait` has passed, then throws
    /// ``StoreError/locked(path:by:)``: the one waiting rule of every store's
    /// ``StateStore/acquireLock(_:wait:)``.
    public static func acquire(
        wait: Duration, path: String, isolation: isolated (any Actor)? = #isolation, _ attempt: () async throws -> LeaseAttempt
    ) async throws -> LockAcquisition {
        let deadline = ContinuousClock.now + wait
        while true {
            switch try await attempt() {
            case .granted(let lease, let previous):
                return previous.map { .tookOver(lease, from: $0) } ?? .acquired(lease)
            case .blocked(let holder):
                if ContinuousClock.now >= deadline { throw StoreError.locked(path: path, by: holder) }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
