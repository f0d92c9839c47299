import BallastState
import Logging
import Synchronization

/// A lease on the state, kept alive while a run works: renewed every third of its ttl until
/// released. When a renewal finds the lease lost (it lapsed while the process was paused and
/// another run took it, or it was force-unlocked), it stops; the store already refuses this
/// run's writes, and ``lost`` says so.
public final class HeldLease: Sendable {
    public let holder: LockHolder
    private let renewal = Mutex<Task<Void, Never>?>(nil)
    private let lostLease = Mutex<StoreError?>(nil)

    init(_ holder: LockHolder, askedAt: ContinuousClock.Instant, store: any StateStore, deadline: LeaseDeadline, logger: Logger) {
        self.holder = holder
        deadline.renewed(askedAt: askedAt, ttl: holder.ttl)
        let task = Task { [weak self] in
            var current = holder
            while !Task.isCancelled {
                try? await Task.sleep(for: holder.ttl / 3)
                if Task.isCancelled { return }
                do {
                    let asked = ContinuousClock.now
                    current = try await store.renewLock(current)
                    deadline.renewed(askedAt: asked, ttl: current.ttl)
                } catch let error as StoreError {
                    if case .leaseLost = error {
                        self?.recordLost(error, logger: logger)
                        return
                    }
                    // The store did not answer (busy, restarting): try again at the next tick;
                    // the lease lasts three ticks.
                    logger.warning("could not renew the state lease; retrying", metadata: ["error": "\(error)"])
                } catch {
                    logger.warning("could not renew the state lease; retrying", metadata: ["error": "\(error)"])
                }
            }
        }
        renewal.withLock { $0 = task }
    }

    /// Set once a renewal found the lease lost.
    public var lost: StoreError? { lostLease.withLock { $0 } }

    /// Whether the lease was lost, asked of the store now: for a run that ends while its lease
    /// may have lapsed (it was paused), so that it says so whether or not a renewal ran first.
    func confirmLost(store: any StateStore, logger: Logger) async -> StoreError? {
        if let lost { return lost }
        do {
            _ = try await store.renewLock(holder)
            return nil
        } catch let error as StoreError {
            guard case .leaseLost = error else { return nil }
            recordLost(error, logger: logger)
            return error
        } catch {
            return nil
        }
    }

    /// Keeps the first loss found, and says it once.
    private func recordLost(_ error: StoreError, logger: Logger) {
        let first = lostLease.withLock { lost -> Bool in
            defer { lost = lost ?? error }
            return lost == nil
        }
        if first { logger.error("\(error.description)") }
    }

    /// Stops renewing (before the lease is released).
    func stopRenewing() {
        renewal.withLock { $0?.cancel() }
    }

    deinit {
        renewal.withLock { $0?.cancel() }
    }
}
