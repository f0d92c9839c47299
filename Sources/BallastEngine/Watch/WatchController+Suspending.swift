import BallastState
import Foundation

/// Suspending syncing (`POST /v1/suspend`, `ballast suspend`), as `flux suspend` does: manifest
/// changes and the removals they bring wait; reconciles of what is in force go on.
///
/// The suspension is recorded in the state (``SuspensionStore``): a daemon restarted while
/// suspended stays suspended, and with replicas it holds for all of them, whichever one was
/// asked. The others learn of it through a hint at once, and from their lease round (every
/// heartbeat) if the hint is lost.
extension WatchController {
    /// Stops syncing: manifest changes (new commits, edits) and the removals they bring wait
    /// until ``resume()``; reconciles of what is in force (healing, resyncs, requests) go on.
    /// Returns whether it was running before. Throws when the state cannot record it: nothing
    /// is suspended then, and the caller is told to retry.
    @discardableResult
    public func suspend() async throws -> Bool {
        let store = applier.store
        if let recorded = try await store.syncSuspension() {
            adoptSuspension(recorded)
            return false
        }
        let suspension = SyncSuspension(by: replicas?.id ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)", at: Date())
        try await store.setSyncSuspension(suspension)
        adoptSuspension(suspension)
        await replicas?.store.broadcast(.suspensionChanged)
        return true
    }

    /// Resumes syncing: the newest manifests are loaded, and removals weighed again. Returns
    /// whether it was suspended. Throws when the state cannot record it (still suspended then).
    @discardableResult
    public func resume() async throws -> Bool {
        let store = applier.store
        let recorded = try await store.syncSuspension()
        if recorded != nil { try await store.setSyncSuspension(nil) }
        let wasSuspended = recorded != nil || suspended
        adoptSuspension(nil)
        if recorded != nil { await replicas?.store.broadcast(.suspensionChanged) }
        return wasSuspended
    }

    public var isSuspended: Bool { suspended }
    /// Who suspended syncing and when, while it is suspended.
    public var suspensionRecord: SyncSuspension? { suspension }

    /// Reads the state's record and follows it (at start-up, on a hint, at each lease round).
    /// A read that fails changes nothing: the next one decides.
    func refreshSuspension() async {
        let recorded: SyncSuspension?
        do {
            recorded = try await applier.store.syncSuspension()
        } catch {
            return
        }
        adoptSuspension(recorded)
    }

    /// ``refreshSuspension()`` in a task of its own, one at a time.
    func refreshSuspensionInBackground() {
        guard !suspensionReadInFlight else { return }
        suspensionReadInFlight = true
        Task {
            await self.refreshSuspension()
            self.suspensionReadInFlight = false
        }
    }

    /// Switches this process to `recorded` (nil: syncing runs), as the state says.
    func adoptSuspension(_ recorded: SyncSuspension?) {
        let was = suspended
        suspension = recorded
        metrics.suspended(recorded != nil)
        switch (was, recorded != nil) {
        case (false, true):
            logger.info("syncing suspended: manifest changes wait for a resume; healing goes on", metadata: ["by": "\(recorded!.by)"])
        case (true, false):
            logger.info("syncing resumed")
            releaseResumeWaiters()
            // Look for what changed meanwhile now, not at the source's next interval.
            source.refresh()
            if !undeclaredManaged().isEmpty { schedulePruneCheck(after: configuration.pruneDelay) }
        default:
            break
        }
    }

    /// Returns once syncing runs, or once the daemon stops (``releaseResumeWaiters()``).
    func untilResumed() async {
        guard suspended, !stopping else { return }
        await withCheckedContinuation { resumeWaiters.append($0) }
    }

    /// Lets every wait for a resume end: the daemon is stopping (a stop while suspended must
    /// not hang on them).
    func releaseResumeWaiters() {
        for waiter in resumeWaiters { waiter.resume() }
        resumeWaiters.removeAll()
    }
}
