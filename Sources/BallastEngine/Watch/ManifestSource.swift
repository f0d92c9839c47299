import BallastCore
import Foundation
import Logging

/// Where watch mode's manifests come from, and how it learns that they changed: a directory
/// watched with inotify (``DirectoryManifestSource``) or a git checkout (`GitManifestSource`), behind
/// the same requirements.
public protocol ManifestSource: Sendable {
    /// The manifests to start from: what the source holds now, or for a versioned source that
    /// cannot be reached, the revision last put in force. Throws when there is nothing to start
    /// from. Called once, before any other requirement but ``status()``.
    func initial() async throws -> ManifestFingerprint

    /// The files and directories to load the manifests of `fingerprint` from. They do not
    /// change while that fingerprint is in force or being loaded: a versioned source keeps each
    /// revision's files apart, so a load never mixes two revisions.
    func paths(for fingerprint: ManifestFingerprint) -> [String]

    /// What the manifests (and `extraFiles`: the files secrets and `source` fields read) look
    /// like now, without reading them. Equal fingerprints mean nothing new to load.
    func fingerprint(extraFiles: [String]) -> ManifestFingerprint

    /// Returns once the manifests differ from `loaded` and have then stayed the same for the
    /// source's settle time (a save in several steps is never read half way), with the settled
    /// fingerprint; nil when the task is cancelled. Never returns a fingerprint equal to `loaded`.
    func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint?

    /// A hint that the manifests may have changed (a webhook): look now rather than at the next
    /// interval. Returns at once; several hints before the look count as one.
    func refresh()

    /// The manifests of `fingerprint` were loaded, validated and put in force. A versioned source
    /// records it, to start from it when it cannot be reached, and may drop older revisions.
    func adopted(_ fingerprint: ManifestFingerprint)

    /// What the source is and how its last look went, for status and the API.
    func status() -> SourceStatus
}

/// Manifest files and directories, on the local file system. A change is noticed through
/// inotify (``ManifestDirectoryWatch``: every directory the manifests are in, each subdirectory,
/// and the directories of the files secrets read), then confirmed by comparing fingerprints
/// (`stat` only). Idle, it costs nothing but a fingerprint every `verifyInterval`, in case a
/// change went unreported (a network file system). Where inotify cannot be used, or a directory
/// cannot be watched, it polls the fingerprint every `interval` instead.
public struct DirectoryManifestSource: ManifestSource {
    public let paths: [String]
    public var interval: Duration
    public var settle: Duration
    /// With inotify, how often the fingerprint is compared anyway.
    public var verifyInterval: Duration
    public var clock: any ControllerClock
    private let watch: ManifestDirectoryWatch?

    /// `notify: false` polls every `interval` whatever inotify could do.
    public init(
        paths: [String], interval: Duration = .seconds(1), settle: Duration = .milliseconds(250), verifyInterval: Duration = .seconds(30), notify: Bool = true,
        clock: any ControllerClock = SystemControllerClock(), logger: Logger? = nil
    ) {
        self.paths = paths
        self.interval = interval
        self.settle = settle
        self.verifyInterval = verifyInterval
        self.clock = clock
        watch = notify ? ManifestDirectoryWatch(logger: logger) : nil
    }

    public func initial() async throws -> ManifestFingerprint {
        fingerprint(extraFiles: [])
    }

    public func paths(for fingerprint: ManifestFingerprint) -> [String] { paths }

    public func fingerprint(extraFiles: [String]) -> ManifestFingerprint {
        ManifestFingerprint(paths, extraFiles: extraFiles)
    }

    public func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint? {
        var first = true
        while !Task.isCancelled {
            // Watch first, then look: a change made before a directory was watched is seen by
            // the look, one made after it wakes the wait.
            switch watch?.arm(paths: paths, extraFiles: await extraFiles()) ?? .unavailable {
            case .watching(let added):
                if !first && !added { _ = await watch!.changed.wait(for: verifyInterval, clock: clock) }
            case .unavailable:
                try? await clock.sleep(for: interval)
            }
            first = false
            if Task.isCancelled { return nil }
            let current = fingerprint(extraFiles: await extraFiles())
            guard current != loaded else { continue }
            guard let settled = await Self.settled(current, after: settle, clock: clock, look: { fingerprint(extraFiles: await extraFiles()) }) else { return nil }
            if settled != loaded { return settled }
        }
        return nil
    }

    public func refresh() {}

    public func adopted(_ fingerprint: ManifestFingerprint) {}

    public func status() -> SourceStatus {
        SourceStatus(kind: .directory, location: paths.joined(separator: " "), paths: paths)
    }

    /// Looks again every `settle` until two looks agree, starting from `current`: an editor that
    /// deletes and rewrites, or writes in several steps, is never read half way (a file missing
    /// for a moment would look removed). Nil when the task is cancelled.
    public static func settled(
        _ current: ManifestFingerprint, after settle: Duration, clock: any ControllerClock, look: () async -> ManifestFingerprint
    ) async -> ManifestFingerprint? {
        var current = current
        while true {
            try? await clock.sleep(for: settle)
            if Task.isCancelled { return nil }
            let again = await look()
            if again == current { return current }
            current = again
        }
    }
}
