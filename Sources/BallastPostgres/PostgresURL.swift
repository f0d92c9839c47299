import Foundation

/// A PostgreSQL state location, as written in `--state` or `BALLAST_STATE`:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?schema=NAME&sslmode=MODE&sslrootcert=FILE`.
///
/// The password comes from the URL, else `PGPASSWORD`, else a password file. It never appears in
/// ``description``, which is what messages, logs and `status` show.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, else plain (libpq's default).
        case prefer
        /// TLS, without checking the server's certificate.
        case require
        /// TLS, with the certificate checked against `sslrootcert` (or the system's roots) but
        /// not the host name.
        case verifyCA = "verify-ca"
        /// TLS, with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// Several estates share a database, one schema each (as Terraform's pg backend does).
    public var schema: String
    public var tls: TLSMode
    /// CA certificates (PEM) to check the server's certificate against.
    public var rootCertificate: String?

    public static let defaultSchema = "ballast"

    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Whether `text` is meant as a PostgreSQL state (rather than a SQLite directory): it starts
    /// with the scheme `postgres:` or `postgresql:`, well formed or not, so that a mistyped URL
    /// is an error instead of a directory called `postgres:`.
    public static func isPostgres(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres:") || lowered.hasPrefix("postgresql:")
    }

    /// Parses a `postgres://` or `postgresql://` URL. `environment` supplies `PGPASSWORD` (and
    /// `PGUSER`, `PGHOST`, `PGPORT`, `PGDATABASE` for what the URL leaves out, as libpq does).
    public init(parsing text: String, environment: [String: String] = [:], passwordFile: String? = nil) throws(Invalid) {
        let lowered = text.lowercased()
        guard lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://"), let components = URLComponents(string: text) else {
            throw Invalid(description: "'\(Self.redacted(text))' is not a PostgreSQL URL; write postgres://USER@HOST:PORT/DATABASE?schema=NAME")
        }
        user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? "postgres"
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "localhost"
        let port = components.port ?? environment["PGPORT"].flatMap { Int($0) } ?? 5432
        guard (1...65535).contains(port) else {
            throw Invalid(description: "the PostgreSQL port must be a number from 1 to 65535")
        }
        self.port = port
        let path = String(components.path.drop(while: { $0 == "/" }))
        database = path.isEmpty ? (environment["PGDATABASE"] ?? user) : (path.removingPercentEncoding ?? path)
        var schema = Self.defaultSchema
        var tls = TLSMode.prefer
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema":
                schema = value
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw Invalid(description: "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(value)')")
                }
                tls = mode
            case "sslrootcert":
                rootCertificate = value
            default:
                throw Invalid(description: "unknown PostgreSQL URL parameter '\(item.name)'; known: schema, sslmode, sslrootcert")
            }
        }
        guard Self.isPlainName(schema) else {
            throw Invalid(description: "schema must be a lowercase name of letters, digits and _ (up to 63), starting with a letter or _ (got '\(schema)')")
        }
        self.schema = schema
        self.tls = tls
        self.rootCertificate = rootCertificate
        if let secret = components.password.flatMap({ $0.removingPercentEncoding }) {
            password = secret
        } else if let secret = environment["PGPASSWORD"] {
            password = secret
        } else if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw Invalid(description: "the password file \(passwordFile) cannot be read")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        } else {
            password = nil
        }
    }

    /// The schema name quoted for SQL (it is a plain name: no quoting problems remain).
    public var quotedSchema: String { "\"\(schema)\"" }

    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)?schema=\(schema)"
    }

    /// `text` with any password in it replaced, for messages about a URL that did not parse.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgres://…"
    }

    private static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63 else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || c == "_" }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}
