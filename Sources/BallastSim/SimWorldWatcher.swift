import BallastCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells every subscriber when the sim world's files change, whichever process changed them:
/// one inotify instance and one reader thread per process, however many sites follow it.
///
/// One instance per site feed ran into the per-user limit on inotify instances (128 by
/// default): three watch replicas of a 30-site estate on one machine took 90, and feeds that
/// could not start stayed silent. When inotify cannot be used at all, the watcher polls the
/// world file's modification time every ``pollInterval`` instead, so changes are never missed.
final class SimWorldWatcher: Sendable {
    let directory: String
    static let pollInterval: Duration = .seconds(1)

    private struct Subscribers {
        var continuations: [UUID: AsyncStream<Void>.Continuation] = [:]
        /// Ends the reader (a write to its stop pipe, or cancelling the poller); nil while stopped.
        var stop: (@Sendable () -> Void)?
    }

    private let subscribers = Mutex(Subscribers())

    init(directory: String) {
        self.directory = directory
    }

    /// Yields once per batch of changes to the world files (not the lock file), until the stream
    /// is dropped.
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let key = UUID()
        let startNeeded = subscribers.withLock { state -> Bool in
            state.continuations[key] = continuation
            return state.stop == nil
        }
        if startNeeded { start() }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(key) }
        return stream
    }

    private func unsubscribe(_ key: UUID) {
        let stop = subscribers.withLock { state -> (@Sendable () -> Void)? in
            state.continuations[key] = nil
            guard state.continuations.isEmpty else { return nil }
            defer { state.stop = nil }
            return state.stop
        }
        stop?()
    }

    private func broadcast() {
        for continuation in subscribers.withLock({ Array($0.continuations.values) }) { continuation.yield(()) }
    }

    private func start() {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stop = startInotify() ?? startPolling()
        let previous = subscribers.withLock { state -> (@Sendable () -> Void)? in
            defer { state.stop = stop }
            return state.stop
        }
        previous?()
    }

    /// A reader thread blocked in poll() on inotify (``InotifyWatch``): no CPU while idle.
    private func startInotify() -> (@Sendable () -> Void)? {
        // Readers open and lock world.lock too; only changes to the world files count, or every
        // reader (the feeds included) would wake every feed, forever.
        guard let watch = InotifyWatch(onEvents: { [weak self] events in
            if events.contains(where: { $0.name != "world.lock" }) { self?.broadcast() }
        }) else { return nil }
        guard watch.watch(directory, mask: UInt32(IN_MODIFY | IN_MOVED_TO | IN_CREATE)) else {
            watch.stop()
            return nil
        }
        return { watch.stop() }
    }

    /// Without inotify: the world file's modification time, every ``pollInterval``.
    private func startPolling() -> @Sendable () -> Void {
        let directory = self.directory
        let poller = Task { [weak self] in
            var last = Self.modified(directory)
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pollInterval)
                let now = Self.modified(directory)
                if now != last {
                    last = now
                    self?.broadcast()
                }
            }
        }
        return { poller.cancel() }
    }

    /// The latest modification time among the world's files (the lock file aside).
    static func modified(_ directory: String) -> [String: Date] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var times: [String: Date] = [:]
        for name in names where name != "world.lock" {
            times[name] = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.modificationDate] as? Date
        }
        return times
    }
}
