import BallastCore
import BallastEngine
import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Manifests from paths in one ref of a git repository (`ballast watch --git`): fetched every
/// `interval` (with ±10% jitter) and when a webhook calls ``refresh()``, once for all the paths.
///
/// - Each commit's files are checked out whole before they are offered, and never change, so a
///   load never sees half a commit.
/// - A fetch that fails (unreachable, ref deleted, credentials refused) keeps the newest commit
///   fetched before: nothing is removed because the repository could not be read. It is
///   reported in ``status()`` and logged once per distinct error.
/// - A force-push is followed, and reported.
/// - With `allowedSigners`, a commit not signed by an allowed key is not offered: the previous
///   one stays, and the refusal is reported.
/// - The commit last put in force is recorded under the data directory: a daemon restarted
///   while the repository is unreachable starts from it.
public final class GitManifestSource: ManifestSource {
    public let mirror: GitMirror
    /// The paths in the repository to load, relative to its root ("." for all of it).
    public let subpaths: [String]
    public let interval: Duration
    /// How often files outside the repository that secrets read are checked, and how long they
    /// must stay the same before they are read.
    public let filesInterval: Duration
    public let settle: Duration
    public let allowedSigners: String?
    let clock: any ControllerClock
    let logger: Logger
    private let wake = WakeSignal()
    private let state = Mutex(State())

    private struct State {
        var latest: SourceRevision?
        var checkedAt: Date?
        var error: GitError?
        var notice: String?
        /// A tip refused by the signature check: not verified again until the ref moves.
        var refused: String?
        var nextFetch: ContinuousClock.Instant?
    }

    public init(
        mirror: GitMirror, paths: [String], interval: Duration, allowedSigners: String? = nil, filesInterval: Duration = .seconds(1),
        settle: Duration = .milliseconds(250), clock: any ControllerClock = SystemControllerClock(), logger: Logger
    ) throws(GitError) {
        for path in paths {
            let parts = path.split(separator: "/")
            guard !path.hasPrefix("/"), !parts.contains(".."), !path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw GitError(.invalid, "--path takes a path inside the repository, relative to its root, without '..'; got '\(TerminalText.safe(path))'")
            }
        }
        self.mirror = mirror
        self.subpaths = paths.isEmpty ? ["."] : paths
        self.interval = interval
        self.allowedSigners = allowedSigners
        self.filesInterval = filesInterval
        self.settle = settle
        self.clock = clock
        self.logger = logger
    }

    // MARK: ManifestSource

    public func initial() async throws -> ManifestFingerprint {
        await look()
        let recorded = recordedInForce()
        let (latest, error) = state.withLock { ($0.latest, $0.error) }
        // Start from what was in force: a newer commit is then loaded as a change, and held if
        // its manifests do not validate.
        if let recorded, mirror.hasTree(recorded), let revision = try? await mirror.revision(recorded) {
            if let error { logger.warning("starting from commit \(revision.short), the last in force: \(error.message)") }
            if latest == nil { state.withLock { $0.latest = revision } }
            return ManifestFingerprint(revision: revision)
        }
        guard let latest else { throw error ?? GitError(.local, "nothing was fetched from \(mirror.remote.redactedURL)") }
        return ManifestFingerprint(revision: latest)
    }

    public func paths(for fingerprint: ManifestFingerprint) -> [String] {
        guard let commit = fingerprint.revision?.commit else { return [] }
        let tree = mirror.treesDirectory + "/" + commit
        return subpaths.map { $0 == "." ? tree : tree + "/" + $0 }
    }

    public func fingerprint(extraFiles: [String]) -> ManifestFingerprint {
        guard let latest = state.withLock({ $0.latest }) else { return ManifestFingerprint([], extraFiles: extraFiles) }
        return ManifestFingerprint(revision: latest, extraFiles: extraFiles)
    }

    public func nextChange(from loaded: ManifestFingerprint?, extraFiles: @Sendable () async -> [String]) async -> ManifestFingerprint? {
        while !Task.isCancelled {
            let current = fingerprint(extraFiles: await extraFiles())
            if current != loaded {
                // A commit's files never change: a new commit alone is ready at once. Files
                // outside the repository (secrets) may be mid-save, and settle first.
                if let loaded, current.files == loaded.files { return current }
                guard let settled = await DirectoryManifestSource.settled(current, after: settle, clock: clock, look: { fingerprint(extraFiles: await extraFiles()) }) else {
                    return nil
                }
                if settled != loaded { return settled }
            }
            let due = state.withLock { state in
                if state.nextFetch == nil { state.nextFetch = clock.now + jittered(interval) }
                return state.nextFetch!
            }
            let woken = await wake.wait(for: min(filesInterval, max(.zero, due - clock.now)), clock: clock)
            if Task.isCancelled { return nil }
            if woken || clock.now >= due {
                await look()
                state.withLock { $0.nextFetch = clock.now + jittered(interval) }
            }
        }
        return nil
    }

    public func refresh() {
        wake.signal()
    }

    public func adopted(_ fingerprint: ManifestFingerprint) {
        guard let commit = fingerprint.revision?.commit else { return }
        let path = mirror.directory + "/in-force"
        let partial = path + ".partial"
        if (try? Data((commit + "\n").utf8).write(to: URL(fileURLWithPath: partial))) != nil {
            rename(partial, path)
        }
        // Keep the commit in force, the newest, and a few before (a reader may still hold one).
        let latest = state.withLock { $0.latest?.commit }
        mirror.removeTrees(keeping: Set([commit, latest].compactMap { $0 }), keepingNewest: 3)
    }

    /// After a one-off command read the newest commit: removes older checkouts, keeping the
    /// one read, the one a daemon on the same data directory has in force, and the `newest` last
    /// checked out (a saved plan names the files of the commit it was made from, and is applied
    /// soon after).
    public func pruneAfterReading(keepingNewest newest: Int = 10) {
        let latest = state.withLock { $0.latest?.commit }
        mirror.removeTrees(keeping: Set([latest, recordedInForce()].compactMap { $0 }), keepingNewest: newest)
    }

    /// Why the last fetch failed, if it did (cleared by the next one that works).
    public var lastError: GitError? { state.withLock { $0.error } }

    public func status() -> SourceStatus {
        state.withLock { state in
            SourceStatus(
                kind: .git, location: mirror.remote.redactedURL, ref: mirror.remote.ref, paths: subpaths, latest: state.latest,
                checkedAt: state.checkedAt, error: state.error?.message, notice: state.notice)
        }
    }

    // MARK: Fetching

    /// Fetches now, and offers the new tip if there is one and it may be used: what one-off
    /// commands call once, and ``nextChange(from:extraFiles:)`` at each interval.
    public func look() async {
        do throws(GitError) {
            let tip = try await mirror.fetch()
            let (previous, refused) = state.withLock { state in
                state.checkedAt = Date()
                return (state.latest?.commit, state.refused)
            }
            if tip == previous || tip == refused {
                recovered(keepingRefusal: tip == refused)
                return
            }
            if let allowedSigners {
                do throws(GitError) {
                    try await mirror.verify(tip, allowedSigners: allowedSigners)
                } catch {
                    state.withLock { $0.refused = tip }
                    failed(error)
                    return
                }
            }
            // A submodule where manifests are read is left empty by the checkout: the resources
            // declared in it would read as removed, and be pruned.
            let submodules = try await mirror.submodules(tip).filter { module in
                subpaths.contains { $0 == "." || PathText.isWithin($0, module) || PathText.isWithin(module, $0) }
            }
            if !submodules.isEmpty {
                state.withLock { $0.refused = tip }
                let named = submodules.sorted().map { "'\(TerminalText.safe($0))'" }.joined(separator: ", ")
                failed(GitError(.invalid, "commit \(tip.prefix(12)) has a git submodule where manifests are read (\(named)); Ballast does not fetch submodules, so the manifests in it would read as removed: keep them in the repository itself, or follow the submodule's own repository with a --git of its own"))
                return
            }
            let revision = try await mirror.revision(tip)
            _ = try await mirror.tree(tip)
            var notice: String?
            if let previous, await mirror.descends(tip, from: previous) == false {
                notice = "history rewritten (a force-push?): \(previous.prefix(12)) is not an ancestor of \(revision.short); following the new tip"
                logger.warning("\(notice!)", metadata: ["revision": "\(tip)", "previous": "\(previous)"])
            }
            state.withLock { state in
                state.latest = revision
                state.refused = nil
                if let notice { state.notice = notice }
            }
            recovered(keepingRefusal: false)
            logger.info("fetched commit \(revision.short) from \(mirror.remote.redactedURL) \(mirror.remote.ref)", metadata: ["revision": "\(tip)"])
        } catch {
            failed(error)
        }
    }

    private func failed(_ error: GitError) {
        let changed = state.withLock { state in
            defer { state.error = error }
            return state.error != error
        }
        guard changed else { return }
        let kept = state.withLock { $0.latest?.short }.map { "; commit \($0) stays in force and nothing is pruned because of this" } ?? ""
        logger.warning("\(error.message)\(kept)", metadata: ["retryable": "\(error.isRetryable)"])
    }

    private func recovered(keepingRefusal: Bool) {
        let cleared = state.withLock { state -> GitError? in
            guard let error = state.error, !(keepingRefusal && error.code == .unverified) else { return nil }
            state.error = nil
            return error
        }
        if let cleared { logger.info("fetching works again (it failed with: \(cleared.message))") }
    }

    private func recordedInForce() -> String? {
        guard let text = try? String(contentsOfFile: mirror.directory + "/in-force", encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.count >= 40 && commit.allSatisfy(\.isHexDigit) ? commit : nil
    }

    private func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.9...1.1)
    }
}
