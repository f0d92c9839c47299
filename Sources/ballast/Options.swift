import ArgumentParser
import BallastCore
import BallastGit
import Foundation

/// Options every command that reads manifests shares: files and directories, or paths in one
/// ref of a git repository.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files or directories (searched for *.yaml and *.yml); '-' reads standard input.")
    var paths: [String] = []

    @Option(name: .customLong("git"), help: ArgumentHelp(
        "Read the manifests from this git repository (https://, ssh://, git@host:path, file:// or a path) instead of PATHS; credentials come from git's own credential helpers, GIT_SSH_COMMAND or ~/.netrc.",
        valueName: "url"))
    var gitURL: String?

    @Option(help: ArgumentHelp("With --git: the branch or tag to read (default: main).", valueName: "ref"))
    var ref: String?

    @Option(name: .customLong("path"), help: ArgumentHelp(
        "With --git: a directory or file in the repository to load, relative to its root (repeatable; default: the whole repository).",
        valueName: "path"))
    var gitPaths: [String] = []

    @Option(name: .customLong("verify-commits"), help: ArgumentHelp(
        "With --git: use only commits signed by a key this allowed-signers file names (SSH signatures, as 'git verify-commit' checks them).",
        valueName: "file"))
    var allowedSigners: String?

    @Option(parsing: .unconditional, help: "With --git: how long one git command may take (e.g. 2m).")
    var gitTimeout = "2m"

    @Option(name: .customLong("secret-dir"), help: ArgumentHelp(
        "With --git: a directory whose files ${file:…} and source fields may read (repeatable); without it, only files in the repository itself.",
        valueName: "directory"))
    var secretDirectories: [String] = []

    @Option(name: .customLong("secret-env"), help: ArgumentHelp(
        "With --git: a prefix of the environment variables ${env:…} may read, e.g. BALLAST_SECRET_ (repeatable); without it, none.",
        valueName: "prefix"))
    var secretEnvironmentPrefixes: [String] = []

    func validate() throws {
        if gitURL == nil {
            guard !paths.isEmpty else { throw ValidationError("name the manifest files or directories to read ('-' for standard input), or a repository with --git") }
            guard ref == nil, gitPaths.isEmpty, allowedSigners == nil, secretDirectories.isEmpty, secretEnvironmentPrefixes.isEmpty else {
                throw ValidationError("--ref, --path, --verify-commits, --secret-dir and --secret-env go with --git")
            }
        } else {
            guard paths.isEmpty else { throw ValidationError("with --git, name the paths in the repository with --path, not as arguments (got \(paths.joined(separator: " ")))") }
            try Terminal.requireDuration(gitTimeout, option: "--git-timeout", atLeast: .seconds(1))
            if let allowedSigners, !FileManager.default.isReadableFile(atPath: allowedSigners) {
                throw ValidationError("--verify-commits \(allowedSigners) cannot be read")
            }
            for directory in secretDirectories {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("--secret-dir \(directory) is not a directory")
                }
            }
        }
    }

    /// What manifests read from `mirror` may read from this machine (``ManifestReadPolicy``).
    func readPolicy(_ mirror: GitMirror) -> ManifestReadPolicy {
        .gitSource(repository: mirror.treesDirectory, secretDirectories: secretDirectories, environmentPrefixes: secretEnvironmentPrefixes)
    }

    /// The repository and ref named by --git and --ref; nil without --git.
    func remote() throws(GitError) -> GitRemote? {
        guard let gitURL else { return nil }
        return try GitRemote(url: gitURL, ref: ref ?? "main")
    }
}

/// Where state lives, and how chatty the run is.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "State: a directory (SQLite) or a postgres:// URL (default: $BALLAST_STATE, else .ballast).")
    var state: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Local data: the sim world, generated tokens, plugin data (default: $BALLAST_DATA, else the state directory, or .ballast with a postgres:// state).",
        valueName: "directory"))
    var dataDirectory: String?

    @Option(name: .customLong("pg-password-file"), help: ArgumentHelp(
        "A file holding the PostgreSQL password, when neither the URL nor $PGPASSWORD has one.", valueName: "file"))
    var postgresPasswordFile: String?

    @Flag(name: .shortAndLong, help: "Log progress and timings to standard error.")
    var verbose = false

    @Option(name: .customLong("log-format"), help: "How logs are written to standard error: text, or json (one object per line; default: $BALLAST_LOG_FORMAT, else text).")
    var logFormat: LogFormat?

    /// --log-format, else $BALLAST_LOG_FORMAT, else text.
    func resolvedLogFormat() throws -> LogFormat {
        if let logFormat { return logFormat }
        guard let text = ProcessInfo.processInfo.environment["BALLAST_LOG_FORMAT"], !text.isEmpty else { return .text }
        guard let format = LogFormat(rawValue: text) else { throw ValidationError("BALLAST_LOG_FORMAT takes text or json (got '\(text)')") }
        return format
    }

    /// Whether the user named the state (--state or BALLAST_STATE), rather than taking the
    /// default: a named state that does not exist is a mistake, not a new estate.
    var stateIsNamed: Bool {
        state != nil || !(ProcessInfo.processInfo.environment["BALLAST_STATE"] ?? "").isEmpty
    }

    /// --state, else BALLAST_STATE, else .ballast: a directory or a URL.
    var stateText: String {
        if let state { return state }
        if let environment = ProcessInfo.processInfo.environment["BALLAST_STATE"], !environment.isEmpty { return environment }
        return ".ballast"
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case dot
    case json
}
