import BallastCore
import BallastProviders
import Foundation
import Synchronization

/// A real, throwaway PostgreSQL cluster for tests: `initdb` in a temporary directory, `postgres`
/// on 127.0.0.1 on a free port with `fsync=off`, stopped with the test process (even after a
/// crash: it runs under ``ServerSupervisor``). Each test takes its own database.
///
/// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user (the
/// Debian package creates it), who is given the directory.
public final class PostgresServer: Sendable {
    /// The port it listens on: free when chosen, chosen again if another process took it before
    /// the server could bind it.
    public var port: Int { chosenPort.withLock { $0 } }
    private let chosenPort: Mutex<Int>
    public let directory: String
    private let binaries: String
    private let owner: String?
    private let process: Mutex<ChildProcess?>
    private let databases = Mutex(0)
    /// Where it listens besides 127.0.0.1 (a partition test's veth address).
    private let extraAddresses: [String]

    /// Starts the cluster and waits until it accepts connections. `alsoListeningOn`: more
    /// addresses to listen on (they must exist), from whose `network` (CIDR) clients are trusted.
    public init(alsoListeningOn extraAddresses: [String] = [], network: String? = nil) async throws {
        self.extraAddresses = extraAddresses
        binaries = try Self.locate()
        chosenPort = Mutex(try FreePort.find())
        directory = TemporaryDirectory().path
        owner = getuid() == 0 ? "postgres" : nil
        process = Mutex(nil)
        // initdb and the wait for the server take seconds: on a thread of their own, not one of
        // the cooperative pool's few (the whole test suite shares them).
        let (owner, binaries, directory) = (self.owner, self.binaries, self.directory)
        try await offPool {
            if let owner {
                try Self.run(["/bin/chown", "-R", owner, directory])
            }
            try Self.run(Self.asOwner(owner) + [binaries + "/initdb", "-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            if let network {
                let hba = directory + "/data/pg_hba.conf"
                let text = ((try? String(contentsOfFile: hba, encoding: .utf8)) ?? "") + "host all all \(network) trust\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: hba))
            }
        }
        // A free port is only free until someone binds it: another server or client of the
        // suite may, between the choice and the server's start. Then another port is chosen.
        for attempt in 1...3 {
            do {
                try await offPool { [self] in try start() }
                return
            } catch let error as TestServerUnavailable where attempt < 3 && error.description.contains("Address already in use") {
                let next = try FreePort.find()
                chosenPort.withLock { $0 = next }
            }
        }
    }

    /// Starts `postgres` on the existing data directory (again, after ``stop()``).
    public func start() throws {
        let log = directory + "/server.log"
        let server = try ChildProcess.logging(
            ["/usr/bin/env", "python3", "-c", ServerSupervisor.script, binaries + "/postgres", "-D", directory + "/data", "-p", String(port),
             "-c", "listen_addresses=" + (["127.0.0.1"] + extraAddresses).joined(separator: ","), "-c", "unix_socket_directories=" + directory, "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"],
            to: log, environment: ["SUPERVISED_USER": owner ?? "", "SUPERVISED_STOP_SIGNAL": String(SIGINT)])
        process.withLock { $0 = server }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? Self.run([binaries + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", String(port)])) != nil { return }
            guard server.isRunning else { break }
            usleep(100_000)
        }
        stop()
        throw TestServerUnavailable(description: "PostgreSQL did not start on port \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// A new, empty database; its URL (no TLS on loopback).
    public func createDatabase(schema: String? = nil) throws -> String {
        let name = "ballast_test_\(databases.withLock { $0 += 1; return $0 })"
        try sql("CREATE DATABASE \(name)")
        return url(database: name, schema: schema)
    }

    public func url(database: String, schema: String? = nil) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable" + (schema.map { "&schema=\($0)" } ?? "")
    }

    /// Runs SQL with `psql` as the superuser; returns what it printed (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        try Self.run([binaries + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-c", statement])
    }

    /// Stops the server (fast shutdown), keeping its data for ``start()``.
    public func stop() {
        guard let server = process.withLock({ $0 }) else { return }
        server.stop(grace: .seconds(60))
    }

    deinit { stop() }

    /// The directory holding `initdb`, `postgres`, `pg_isready` and `psql`: Debian's
    /// `/usr/lib/postgresql/VERSION/bin` (the newest), else wherever `initdb` is on PATH.
    static func locate() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        if let initdb = MotoServer.which("initdb") { return PathText.deletingLastComponent(initdb) }
        throw TestServerUnavailable(description: "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql")
    }

    private static func asOwner(_ owner: String?) -> [String] {
        owner.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []
    }

    @discardableResult
    private static func run(_ arguments: [String]) throws -> String {
        let (status, text) = try Subprocess.run(arguments)
        guard status == 0 else {
            throw TestServerUnavailable(description: "\(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }
}
