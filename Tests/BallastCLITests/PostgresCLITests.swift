import BallastTesting
import Foundation
import Testing

/// One throwaway PostgreSQL cluster for the CLI tests, started on first use.
let postgres = Task { try await PostgresServer() }

/// The state backends a CLI test can run against.
enum StateBackend: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// A workspace whose state is in this backend (a fresh database for PostgreSQL).
    func workspace() async throws -> Workspace {
        switch self {
        case .sqlite: try Workspace()
        case .postgres: try Workspace(postgres: try await BallastCLITests.postgres.value.createDatabase())
        }
    }
}

/// The CLI with its state in PostgreSQL (`--state postgres://…`), against a real server.
@Suite("CLI on PostgreSQL")
struct PostgresCLITests {
    @Test func theLifecycleRunsOnPostgreSQL() async throws {
        let server = try await postgres.value
        let workspace = try Workspace(postgres: try server.createDatabase(schema: "prod")) { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") }
        defer { workspace.directory.remove() }
        let m = workspace.manifests
        let applied = try await workspace.run(["apply", m, "--auto-approve"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try await workspace.worldCount() == 21)
        #expect(try await workspace.run(["plan", m, "--detailed-exitcode"]).exitCode == 0, "no changes after apply")
        try await workspace.run(["sim", "drift", "Database/orders@eu-central", "sizeGb=80"])
        let drift = try await workspace.run(["drift", m])
        #expect(drift.stdout.contains("Database/orders@eu-central"), "\(drift.stdout)\(drift.stderr)")
        let status = try await workspace.run(["status"])
        #expect(status.stdout.contains("State: postgres://postgres@127.0.0.1:\(server.port)/"), "\(status.stdout)")
        #expect(status.stdout.contains("Resources managed: 21"))
        #expect(try await workspace.successfulCreates().count == 21)
        let destroyed = try await workspace.run(["destroy", m, "--auto-approve"])
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(try await workspace.worldCount() == 0)
        // Local data went to --data-dir; nothing was taken for a directory named after the URL.
        #expect(FileManager.default.fileExists(atPath: workspace.directory.file("data/sim")))
        #expect(!FileManager.default.fileExists(atPath: workspace.directory.file("data/plan.key")), "the plan key lives in the database")
        for directory in [Repository.root(from: #filePath), workspace.directory.path] {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(!names.contains { $0.lowercased().hasPrefix("postgres") }, "\(names)")
        }
    }

    @Test func aSavedPlanIsSealedWithTheKeyInTheDatabase() async throws {
        let server = try await postgres.value
        let workspace = try Workspace(postgres: try server.createDatabase())
        defer { workspace.directory.remove() }
        let planFile = workspace.directory.file("plan.json")
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", planFile]).exitCode == 0)
        let applied = try await workspace.run(["apply", planFile])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        // Another schema is another state, with another key: the plan is not its plan.
        let other = try await workspace.runner.run(["apply", planFile, "--state", server.url(database: "postgres", schema: "other"), "--data-dir", workspace.directory.file("data")])
        #expect(other.exitCode != 0)
    }

    @Test func aDatabaseRestartDuringApplyLosesNothing() async throws {
        // A cluster of its own: the restart must not disturb the other tests.
        let server = try await PostgresServer()
        defer { server.stop() }
        let workspace = try Workspace(postgres: try server.createDatabase()) {
            $0.replacingOccurrences(of: #"latencyMs: \d+"#, with: "latencyMs: 50", options: .regularExpression)
        }
        defer { workspace.directory.remove() }
        // The apply stops itself (SIGSTOP) after its third intent, holding open connections;
        // the database restarts meanwhile; then the apply carries on.
        let apply = try workspace.runner.start(
            ["apply", workspace.manifests, "--auto-approve", "--parallelism", "1", "--state", workspace.state, "--data-dir", workspace.directory.file("data")],
            stdout: workspace.directory.file("apply.out"), stderr: workspace.directory.file("apply.err"), environment: ["BALLAST_FAILPOINT": "after-intent:3:stop"])
        let stopped = await WatchProcess.eventually(timeout: .seconds(60)) { ProcessState.isStopped(apply.pid) }
        #expect(stopped, "the apply reached its third intent: \((try? String(contentsOfFile: workspace.directory.file("apply.err"), encoding: .utf8)) ?? "")")
        server.stop()
        try server.start()
        apply.send(SIGCONT)
        // Within two operation deadlines (30 s each) of the restart, however the pool fared.
        #expect(await apply.exit(within: .seconds(120)), "the woken apply ended: \((try? String(contentsOfFile: workspace.directory.file("apply.err"), encoding: .utf8)) ?? "")")
        // However the interrupted run ended, the next one finishes the job, creating nothing twice.
        let resumed = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(resumed.exitCode == 0, "\(resumed.stderr)\n\((try? String(contentsOfFile: workspace.directory.file("apply.err"), encoding: .utf8)) ?? "")")
        try await workspace.expectConvergedWithEveryCreateOnce()
    }

    @Test func aHolderPausedPastItsLeaseNeverWritesAgain() async throws {
        let server = try await postgres.value
        let workspace = try Workspace(postgres: try server.createDatabase())
        defer { workspace.directory.remove() }
        // The first apply stops itself (as a GC pause or a VM migration would) after its third
        // intent, with a 3 s lease.
        let first = try workspace.runner.start(
            ["apply", workspace.manifests, "--auto-approve", "--parallelism", "1", "--state", workspace.state, "--data-dir", workspace.directory.file("data")],
            stdout: workspace.directory.file("first.out"), stderr: workspace.directory.file("first.err"),
            environment: ["BALLAST_FAILPOINT": "after-intent:3:stop", "BALLAST_LEASE_TTL": "3s"])
        #expect(await WatchProcess.eventually(timeout: .seconds(60)) { ProcessState.isStopped(first.pid) })
        try await Task.sleep(for: .seconds(4))
        // Past its expiry by the database's clock: another run takes over and does the work.
        let second = try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: ["BALLAST_LEASE_TTL": "3s"])
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stderr.contains("took over the state lock"), "\(second.stderr)")
        // The first wakes: it makes no provider call and no write, says so, and fails.
        first.send(SIGCONT)
        #expect(await first.exit(within: .seconds(120)))
        let said = (try? String(contentsOfFile: workspace.directory.file("first.err"), encoding: .utf8)) ?? ""
        #expect(first.exitCode != 0)
        #expect(said.contains("was lost: it expired or was taken by another run"), "\(said)")
        #expect(!said.contains("could not journal"), "after the lease was lost, nothing more is tried: \(said)")
        let printed = (try? String(contentsOfFile: workspace.directory.file("first.out"), encoding: .utf8)) ?? ""
        #expect(printed.contains("skipped: this run lost the state's lease; the run that took over decides it"), "\(printed)")
        try await workspace.expectConvergedWithEveryCreateOnce()
    }

    @Test func mistakesAboutTheDatabaseAreClearAndRetryable() async throws {
        let server = try await postgres.value
        let database = try server.createDatabase(schema: "empty")
        let workspace = try Workspace(postgres: database)
        defer { workspace.directory.remove() }
        // Nothing applied in that schema yet: reading commands say so; plan plans a new estate.
        let get = try await workspace.run(["get"])
        #expect(get.exitCode == 1)
        #expect(get.stderr.contains("there is no state in schema 'empty'"), "\(get.stderr)")
        #expect(try await workspace.run(["plan", workspace.manifests]).stdout.contains("21 to add"))
        // Nothing listens: a retryable error naming the server, never the password.
        let port = try FreePort.find()
        let down = try await workspace.runner.run(["get", "--state", "postgres://ballast:hunter2@127.0.0.1:\(port)/ballast?sslmode=disable"])
        #expect(down.exitCode == 1)
        #expect(down.stderr.contains("127.0.0.1:\(port)"), "\(down.stderr)")
        #expect(!down.stderr.contains("hunter2"))
    }
}

@Suite("state migrate")
struct StateMigrateTests {
    @Test func aSQLiteStateMovesToPostgreSQLVerifiedAndCarriesOn() async throws {
        let server = try await postgres.value
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let m = workspace.manifests
        #expect(try await workspace.run(["apply", m, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.run(["token", "create", "ci", "--role", "admin"]).exitCode == 0)
        let planFile = workspace.directory.file("plan.json")
        try await workspace.run(["sim", "drift", "Database/orders@eu-central", "sizeGb=80"])
        #expect(try await workspace.run(["plan", m, "--out", planFile]).exitCode == 0)
        let eventsBefore = try await workspace.json(["events"])
        let url = try server.createDatabase(schema: "prod")
        let migrated = try await workspace.runner.run(["state", "migrate", "--from", workspace.state, "--to", url])
        #expect(migrated.exitCode == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("verified"))
        #expect(migrated.stdout.contains("inventory: 21"), "\(migrated.stdout)")
        // The same estate, now in PostgreSQL; local data (the sim world) stays in the old directory.
        let onPostgres = ["--state", url, "--data-dir", workspace.state]
        let events = try await workspace.runner.run(["events", "-o", "json"] + onPostgres)
        #expect(try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? NSDictionary == eventsBefore as? NSDictionary, "the journal came along")
        #expect(try await workspace.runner.run(["token", "list"] + onPostgres).stdout.contains("ci"))
        // The plan saved against the SQLite state is sealed with the key that came along.
        let applied = try await workspace.runner.run(["apply", planFile] + onPostgres)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try await workspace.runner.run(["plan", m, "--detailed-exitcode"] + onPostgres).exitCode == 0)
        // Once there, a second copy into it is refused, and the source is untouched.
        let again = try await workspace.runner.run(["state", "migrate", "--from", workspace.state, "--to", url])
        #expect(again.exitCode == 1)
        #expect(again.stderr.contains("not empty"), "\(again.stderr)")
        #expect(try await workspace.run(["get"]).exitCode == 0)
    }

    @Test func aMissingOrBusyStateIsNotCopied() async throws {
        let workspace = try Workspace(edit: { $0.replacingOccurrences(of: "latencyMs: 2", with: "latencyMs: 400") })
        defer { workspace.directory.remove() }
        let missing = try await workspace.runner.run(["state", "migrate", "--from", workspace.directory.file("nowhere"), "--to", workspace.directory.file("copy")])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.contains("there is no state at"), "\(missing.stderr)")
        // The apply stops itself after its first intent, holding the lock for as long as the
        // test needs: however slow the machine, it cannot finish first.
        let busy = try workspace.runner.start(
            ["apply", workspace.manifests, "--auto-approve", "--parallelism", "1", "--state", workspace.state],
            stdout: workspace.directory.file("a.out"), stderr: workspace.directory.file("a.err"), environment: ["BALLAST_FAILPOINT": "after-intent:1:stop"])
        let stopped = await WatchProcess.eventually(timeout: .seconds(60)) { ProcessState.isStopped(busy.pid) }
        #expect(stopped, "the first run holds the lock: \((try? String(contentsOfFile: workspace.directory.file("a.err"), encoding: .utf8)) ?? "")")
        let refused = try await workspace.runner.run(["state", "migrate", "--from", workspace.state, "--to", workspace.directory.file("copy")])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("is locked by ballast apply"), "\(refused.stderr)")
        busy.send(SIGCONT)
        #expect(await busy.exit(within: .seconds(120)))
        // Afterwards it copies, SQLite to SQLite as well.
        let copied = try await workspace.runner.run(["state", "migrate", "--from", workspace.state, "--to", workspace.directory.file("copy")])
        #expect(copied.exitCode == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("inventory: 21"))
    }
}
