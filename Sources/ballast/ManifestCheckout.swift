import ArgumentParser
import BallastCore
import BallastGit
import Foundation

/// The manifests a one-off command reads: the paths it was given, or with --git the paths in
/// the newest commit of the ref, fetched into the local data directory.
struct ManifestCheckout {
    var paths: [String]
    /// The commit read, with --git.
    var revision: SourceRevision?
    /// What the manifests may read from this machine: restricted for a git source.
    var readPolicy: ManifestReadPolicy = .unrestricted

    /// Fetches when --git is given (printing the commit read on standard error); exits with
    /// status 1 and a message when it cannot.
    static func resolve(_ options: ManifestOptions, runtime: Runtime) async throws -> ManifestCheckout {
        do {
            guard let remote = try options.remote() else { return ManifestCheckout(paths: options.paths) }
            let mirror = try GitMirror(remote: remote, dataDirectory: runtime.dataDirectory, timeout: Terminal.duration(options.gitTimeout)!)
            let source = try GitManifestSource(mirror: mirror, paths: options.gitPaths, interval: .seconds(60), allowedSigners: options.allowedSigners, logger: runtime.logger)
            await source.look()
            if let error = source.lastError { throw error }
            guard let latest = source.status().latest else { throw GitError(.local, "nothing was fetched from \(remote.redactedURL)") }
            source.pruneAfterReading()
            let subject = latest.subject.map { " \"\($0)\"" } ?? ""
            Terminal.standardError("ballast: reading commit \(latest.short)\(TerminalText.safe(subject)) of \(TerminalText.safe(remote.redactedURL)) \(TerminalText.safe(remote.ref))\n")
            return ManifestCheckout(paths: source.paths(for: ManifestFingerprint(revision: latest)), revision: latest, readPolicy: options.readPolicy(mirror))
        } catch let error as GitError {
            Terminal.standardError("ballast: error: \(error.message)\(error.isRetryable ? " (retrying later may help)" : "")\n")
            throw ExitCode.failure
        }
    }
}
