import ArgumentParser
import BallastState
import Foundation

/// `ballast state migrate`: moves a state from one backend to another (SQLite to PostgreSQL, or
/// back), once, verified.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Move a state between backends.",
        subcommands: [Migrate.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy a state (inventory, journal, API tokens, plan key, pull sites' desired states and reports) into an empty one, and verify the copy.",
            discussion: """
            Both states are locked for the copy, so nothing writes to either meanwhile: stop \
            daemons on the source first. The target must be empty; it is written in one \
            transaction, then read back and compared with the source, table by table. The \
            source is left as it was. Local data (the sim world, generated tokens, plugin data) \
            is not state: keep using its directory with --data-dir (or BALLAST_DATA).
            """
        )

        @Option(help: ArgumentHelp("The state to copy: a directory or a postgres:// URL.", valueName: "state"))
        var from: String
        @Option(help: ArgumentHelp("The empty state to copy it into: a directory or a postgres:// URL.", valueName: "state"))
        var to: String
        @OptionGroup var runtime: RuntimeOptions

        func validate() throws {
            guard runtime.state == nil else { throw ValidationError("state migrate takes --from and --to, not --state") }
            guard from != to else { throw ValidationError("--from and --to name the same state") }
        }

        func run() async throws {
            let context = try Runtime(runtime)
            let environment = ProcessInfo.processInfo.environment
            let source: StateLocation, target: StateLocation
            do {
                source = try StateLocation(from, passwordFile: runtime.postgresPasswordFile, environment: environment)
                target = try StateLocation(to, passwordFile: runtime.postgresPasswordFile, environment: environment)
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode.failure
            }
            let from = try await context.open(source, .existing)
            let into = try await context.open(target, .create)
            let command = "ballast state migrate"
            let sourceLease = try await lease(from, command: command)
            let targetLease: LockHolder
            do {
                targetLease = try await lease(into, command: command)
            } catch {
                try? await from.releaseLock(sourceLease)
                throw error
            }
            do {
                let snapshot = try await from.snapshot()
                try await into.restore(snapshot)
                let copied = try await into.snapshot()
                guard copied == snapshot else {
                    let differing = zip(snapshot.counts, copied.counts).filter { $0.0.rows != $0.1.rows }.map { "\($0.0.table): \($0.0.rows) → \($0.1.rows)" }
                    Terminal.standardError("ballast: error: the copy in \(target.description) differs from \(source.description)\(differing.isEmpty ? " in content" : ": " + differing.joined(separator: ", ")); the source is unchanged\n")
                    throw ExitCode.failure
                }
                Terminal.standardOutput("Copied \(source.description) to \(target.description), verified:\n")
                for (table, rows) in snapshot.counts {
                    Terminal.standardOutput("  \(table): \(rows)\n")
                }
                Terminal.standardOutput("Use it with --state \(target.description) (or BALLAST_STATE); local data stays where it is (--data-dir).\n")
            } catch {
                try? await into.releaseLock(targetLease)
                try? await from.releaseLock(sourceLease)
                if error is ExitCode { throw error }
                Terminal.standardError("ballast: error: \(context.redactor.redact("\(error)"))\n")
                throw ExitCode.failure
            }
            try? await into.releaseLock(targetLease)
            try? await from.releaseLock(sourceLease)
        }

        private func lease(_ store: any StateStore, command: String) async throws -> LockHolder {
            do {
                return try await store.acquireLock(LockHolder(command: command), wait: .zero).lease
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode.failure
            }
        }
    }
}
