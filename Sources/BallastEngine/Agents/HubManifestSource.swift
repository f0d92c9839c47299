import BallastCore
import Foundation
import Synchronization

/// An edge agent's manifests: the desired state its hub published for its site, as the agent
/// accepted it into its ``AgentCache``. Each accepted generation is one revision (its digest),
/// loaded from its own file, so a load never mixes two. With no hub in sight the cache is what
/// the agent reconciles.
public final class HubManifestSource: ManifestSource {
    public let cache: AgentCache
    /// The hub's address, for status.
    public let hub: String
    private let changed = WakeSignal()
    private let clock: any ControllerClock
    private let state = Mutex(State())

    private struct State {
        var applied: Int64?
        var checkedAt: Date?
        var error: String?
    }

    public init(cache: AgentCache, hub: String, clock: any ControllerClock = SystemControllerClock()) {
        self.cache = cache
        self.hub = hub
        self.clock = clock
    }

    public struct NothingYet: Error, Sendable, CustomStringConvertible {
        public var description: String { "no desired state from the hub yet" }
    }

    public func initial() async throws -> ManifestFingerprint {
        guard let entry = cache.entry else { throw NothingYet() }
        return Self.fingerprint(entry)
    }

    public func paths(for fingerprint: ManifestFingerprint) -> [String] {
        guard let digest = fingerprint.revision?.commit else { return [] }
        return [cache.manifestsPath(digest: digest)]
    }

    public func fingerprint(extraFiles: [String]) -> ManifestFingerprint {
        guard let entry = cache.entry else { return ManifestFingerprint([], extraFiles: []) }
        return Self.fingerprint(entry)
    }

    static func fingerprint(_ entry: AgentCache.Entry) -> ManifestFingerprint {
        ManifestFingerprint(revision: SourceRevision(commit: entry.digest, committedAt: entry.receivedAt, subject: "generation \(entry.generation)"))
    }

    public func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint? {
        while !Task.isCancelled {
            let current = fingerprint(extraFiles: [])
            if current != loaded, current.revision != nil { return current }
            _ = await changed.wait(for: .seconds(5), clock: clock)
        }
        return nil
    }

    /// A new desired state was accepted into the cache: the watch loop loads it now.
    public func refresh() { changed.signal() }

    public func adopted(_ fingerprint: ManifestFingerprint) {
        guard let digest = fingerprint.revision?.commit, let entry = cache.entry, entry.digest == digest else { return }
        state.withLock { $0.applied = entry.generation }
    }

    /// The generation the watch loop has in force.
    public var appliedGeneration: Int64? { state.withLock { $0.applied } }

    /// How the last fetch from the hub went: `error` nil when it answered well.
    public func fetched(at date: Date, error: String?) {
        state.withLock { state in
            state.error = error
            if error == nil { state.checkedAt = date }
        }
    }

    public func status() -> SourceStatus {
        let (checked, error) = state.withLock { ($0.checkedAt, $0.error) }
        let latest = cache.entry.map { entry in SourceRevision(commit: entry.digest, committedAt: entry.receivedAt, subject: "generation \(entry.generation)") }
        return SourceStatus(kind: .hub, location: hub, paths: [], latest: latest, checkedAt: checked, error: error)
    }
}
