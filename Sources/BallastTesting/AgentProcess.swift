import BallastProviders
import Foundation

/// A `ballast agent` started by a test, with its own state, reporting every `heartbeat`.
public final class AgentProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let state: String
    public let stdoutPath: String
    public let stderrPath: String

    /// Starts the agent; with `waitForStart`, returns once its watch loop has started (it
    /// fetched a desired state, or had one).
    public init(
        cli: CLIRunner, hub: String, site: String, tokenFile: String, state: String, directory: String, heartbeat: String = "1s", arguments: [String] = [],
        waitForStart: Bool = true, timeout: Duration = .seconds(60), launcher: [String] = []
    ) async throws {
        self.state = state
        let name = (state as NSString).lastPathComponent
        stdoutPath = directory + "/agent-\(name).out"
        stderrPath = directory + "/agent-\(name).err"
        process = try cli.start(
            ["agent", "--hub", hub, "--site", site, "--token-file", tokenFile, "--state", state, "--listen", "127.0.0.1:0", "--heartbeat", heartbeat] + arguments,
            stdout: stdoutPath, stderr: stderrPath, launcher: launcher)
        guard waitForStart else { return }
        let started = await WatchProcess.eventually(timeout: timeout) { [stdoutPath, process] in
            ((try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "").contains("ballast agent: started") || !process.isRunning
        }
        guard started, process.isRunning else {
            process.send(SIGKILL)
            throw WatchProcess.Failure(description: "ballast agent did not start:\n\(standardOutput)\n\(standardError)")
        }
    }

    public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// SIGKILL, and waits for it to be gone.
    public func kill9() async {
        process.send(SIGKILL)
        _ = await process.exit(within: .seconds(10))
    }

    /// SIGTERM; the exit status.
    public func terminate() async -> Int32 {
        process.send(SIGTERM)
        _ = await process.exit(within: .seconds(30))
        return process.exitCode ?? -1
    }

    deinit {
        process.send(SIGKILL)
    }
}
