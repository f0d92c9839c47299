import Foundation

/// Suspending syncing (`POST /v1/suspend`, `ballast suspend`), as `flux suspend` does: manifest
/// changes and the removals they bring wait; reconciles of what is in force go on.
extension WatchController {
    /// Stops syncing: manifest changes (new commits, edits) and the removals they bring wait
    /// until ``resume()``; reconciles of what is in force (healing, resyncs, requests) go on.
    /// Returns whether it was running before.
    @discardableResult
    public func suspend() -> Bool {
        defer { suspended = true }
        if !suspended { logger.info("syncing suspended: manifest changes wait for a resume; healing goes on") }
        metrics.suspended(true)
        return !suspended
    }

    /// Resumes syncing: the newest manifests are loaded, and removals weighed again. Returns
    /// whether it was suspended.
    @discardableResult
    public func resume() -> Bool {
        guard suspended else { return false }
        suspended = false
        metrics.suspended(false)
        logger.info("syncing resumed")
        for waiter in resumeWaiters { waiter.resume() }
        resumeWaiters.removeAll()
        // Look for what changed meanwhile now, not at the source's next interval.
        source.refresh()
        if !undeclaredManaged().isEmpty { schedulePruneCheck(after: configuration.pruneDelay) }
        return true
    }

    public var isSuspended: Bool { suspended }

    func untilResumed() async {
        guard suspended else { return }
        await withCheckedContinuation { resumeWaiters.append($0) }
    }
}
