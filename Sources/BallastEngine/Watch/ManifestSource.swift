import BallastCore

/// Where watch mode's manifests come from, and how it learns that they changed: today a
/// directory polled with `stat`; next an inotify watch (the scale issue) and a git checkout (the
/// GitOps issue), behind the same two requirements.
public protocol ManifestSource: Sendable {
    /// The paths the manifests are loaded from.
    var paths: [String] { get }

    /// What the manifests (and `extraFiles`: the files secrets and `source` fields read) look
    /// like now, without reading them. Equal fingerprints mean nothing new to load.
    func fingerprint(extraFiles: [String]) -> ManifestFingerprint

    /// Returns once the manifests differ from `loaded` and have then stayed the same for the
    /// source's settle time (a save in several steps is never read half way), with the settled
    /// fingerprint; nil when the task is cancelled. Never returns a fingerprint equal to `loaded`.
    func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint?
}

/// Files and directories checked with `stat` every `interval`, on the controller's clock.
public struct PolledManifestSource: ManifestSource {
    public let paths: [String]
    public var interval: Duration
    public var settle: Duration
    public var clock: any ControllerClock

    public init(paths: [String], interval: Duration = .seconds(1), settle: Duration = .milliseconds(250), clock: any ControllerClock = SystemControllerClock()) {
        self.paths = paths
        self.interval = interval
        self.settle = settle
        self.clock = clock
    }

    public func fingerprint(extraFiles: [String]) -> ManifestFingerprint {
        ManifestFingerprint(paths, extraFiles: extraFiles)
    }

    public func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint? {
        while !Task.isCancelled {
            try? await clock.sleep(for: interval)
            if Task.isCancelled { return nil }
            var current = fingerprint(extraFiles: await extraFiles())
            guard current != loaded else { continue }
            // Let a save finish: an editor that deletes and rewrites, or writes in several
            // steps, must not be read half way (a file missing for a moment would look removed).
            while true {
                try? await clock.sleep(for: settle)
                if Task.isCancelled { return nil }
                let again = fingerprint(extraFiles: await extraFiles())
                if again == current { break }
                current = again
            }
            if current != loaded { return current }
        }
        return nil
    }
}
