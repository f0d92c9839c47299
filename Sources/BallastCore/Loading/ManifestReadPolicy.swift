import Foundation

/// What manifests may make Ballast read from the machine it runs on: the files behind
/// `${file:…}` and `source` fields, and the variables behind `${env:…}`.
///
/// Manifests a user runs Ballast on are the user's own: they may read whatever the process can
/// (``unrestricted``). Manifests read from a git source are written by whoever can push to it,
/// and the daemon following it usually holds more than a pusher should read: a
/// `${file:/home/ballast/.ssh/id_ed25519}` or `${env:AWS_SECRET_ACCESS_KEY}` in a commit would
/// copy it into a resource the pusher can look at (a host File's content, a tag). From a git
/// source, files are read only inside the repository's own checkouts and the directories the
/// operator allows (`--secret-dir`), after resolving links (a committed link to `/etc` leads
/// outside), and variables only when their names start with a prefix the operator allows
/// (`--secret-env`).
public struct ManifestReadPolicy: Sendable, Hashable {
    /// Directories (canonical) files may be read from; nil: any file.
    public private(set) var directories: [String]?
    /// Prefixes of the variable names that may be read; nil: any variable.
    public private(set) var environmentPrefixes: [String]?
    /// Named in refusals: where the restriction comes from.
    public private(set) var origin: String

    /// Manifests the user gave: nothing is refused.
    public static let unrestricted = ManifestReadPolicy(directories: nil, environmentPrefixes: nil, origin: "")

    /// Manifests from a git source: its checkouts (`repository`), the `secretDirectories` and
    /// the variables named with one of `environmentPrefixes`.
    public static func gitSource(repository: String, secretDirectories: [String], environmentPrefixes: [String]) -> ManifestReadPolicy {
        ManifestReadPolicy(
            directories: ([repository] + secretDirectories).map { ManifestScope.canonical($0) }, environmentPrefixes: environmentPrefixes,
            origin: "manifests from a git source")
    }

    /// The file a `${file:…}` path names: `~` is the home directory.
    public static func secretFile(_ path: String) -> String {
        (path as NSString).expandingTildeInPath
    }

    /// Why the file at `path` (absolute, or `~/…`) may not be read; nil when it may. It is
    /// judged as it will be read: `~` expanded, `..` and links resolved.
    public func refusal(file path: String) -> String? {
        guard let directories else { return nil }
        let resolved = ManifestScope.canonical(Self.secretFile(path))
        if directories.contains(where: { PathText.isWithin(resolved, $0) }) { return nil }
        let through = resolved == path ? "" : " (it leads to \(resolved))"
        return "\(origin) may read files only in the repository and the directories --secret-dir allows, and \(path) is outside them\(through)"
    }

    /// Why the variable `name` may not be read; nil when it may.
    public func refusal(environment name: String) -> String? {
        guard let environmentPrefixes, !environmentPrefixes.contains(where: { name.hasPrefix($0) }) else { return nil }
        let allowed = environmentPrefixes.isEmpty ? "none is allowed" : "allowed: names starting with " + environmentPrefixes.joined(separator: ", ")
        return "\(origin) may read only the environment variables --secret-env allows (\(allowed))"
    }
}
