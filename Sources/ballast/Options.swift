import ArgumentParser
import Foundation

/// Options every command that reads manifests shares.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files or directories (searched for *.yaml and *.yml); '-' reads standard input.")
    var paths: [String]
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

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case dot
    case json
}
