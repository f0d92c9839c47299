import BallastPostgres
import BallastSQLite
import BallastState
import Foundation
import Logging

/// Where this run's state is: a SQLite directory (the embedded default) or a PostgreSQL schema;
/// and where its local data (the sim world, generated tokens, plugin data) is.
enum StateLocation {
    case directory(String)
    case postgres(PostgresURL)

    /// Reads --state (or BALLAST_STATE). Text that starts like a PostgreSQL URL is one, or an
    /// error: it never becomes a directory called `postgres:`.
    init(_ text: String, passwordFile: String?, environment: [String: String]) throws(PostgresURL.Invalid) {
        if PostgresURL.isPostgres(text) {
            self = .postgres(try PostgresURL(parsing: text, environment: environment, passwordFile: passwordFile))
        } else {
            self = .directory(text)
        }
    }

    /// The local data directory: --data-dir, else BALLAST_DATA, else the state directory (SQLite)
    /// or `.ballast` (PostgreSQL).
    func dataDirectory(option: String?, environment: [String: String]) -> String {
        if let option { return option }
        if let variable = environment["BALLAST_DATA"], !variable.isEmpty { return variable }
        switch self {
        case .directory(let path): return path
        case .postgres: return ".ballast"
        }
    }

    /// How messages name the state: its directory, or its URL without the password.
    var description: String {
        switch self {
        case .directory(let path): path
        case .postgres(let url): url.description
        }
    }

    /// The SQLite database of a directory state.
    static func sqlitePath(_ directory: String) -> String { directory + "/state.db" }

    /// There is no state there (nothing was applied with it).
    struct Missing: Error {}

    /// Opens the store, as `access` allows: only `.create` makes a state where there is none
    /// (``Missing`` otherwise), and `.readOnly` writes nothing at all.
    func open(_ access: PostgresStateStore.Access, logger: Logger) async throws -> any StateStore {
        switch self {
        case .directory(let directory):
            let path = Self.sqlitePath(directory)
            if access != .create && !FileManager.default.fileExists(atPath: path) { throw Missing() }
            return try SQLiteStateStore(path: path, readOnly: access == .readOnly)
        case .postgres(let url):
            do {
                return try await PostgresStateStore.open(url, access: access, logger: logger)
            } catch is PostgresStateStore.NoState {
                throw Missing()
            }
        }
    }
}
