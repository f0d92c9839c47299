import ArgumentParser
import Foundation

/// Where a running daemon is, and the admin token to change what it does.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The running 'ballast watch' (e.g. http://127.0.0.1:7070).")
    var server: String

    @Option(help: "A file holding the daemon's admin token (else $BALLAST_TOKEN).")
    var tokenFile: String?

    @Option(parsing: .unconditional, help: "How long to wait for the daemon, such as 10s or 500ms.")
    var timeout = "10s"

    func validate() throws {
        try Terminal.requireDuration(timeout, option: "--timeout", atLeast: .milliseconds(1))
    }

    func client() throws -> DaemonClient {
        let token = try TokenInput.read(file: tokenFile, variable: "BALLAST_TOKEN", option: "--token-file")
        return DaemonClient(baseURL: server, timeout: Terminal.duration(timeout)!, token: token)
    }

    /// Posts to `path` and prints what changed.
    func post(_ path: String, done: String, already: String) async throws {
        let answer = try await client().session { try await $0.post(path) }
        Terminal.standardOutput(answer["changed"]?.boolValue == true ? done + "\n" : already + "\n")
    }
}

struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Stop a running daemon from syncing manifest changes; healing goes on.",
        discussion: """
        New commits (with --git) and edits wait, and so do the removals they would bring, until \
        'ballast resume'. What is in force is still reconciled: drift is reverted, failures \
        retried. Like 'flux suspend'. Needs the daemon's admin token.
        """
    )

    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        try await daemon.post("/v1/suspend", done: "ballast: syncing suspended; healing goes on", already: "ballast: syncing was already suspended")
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Let a suspended daemon sync manifest changes again.",
        discussion: "The newest manifests are loaded at once, and removals weighed again after the prune delay. Needs the daemon's admin token."
    )

    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        try await daemon.post("/v1/resume", done: "ballast: syncing resumed", already: "ballast: syncing was not suspended")
    }
}
