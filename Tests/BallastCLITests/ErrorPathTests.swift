import BallastTesting
import Foundation
import Testing

/// The error paths people meet every day ("Trust, part 2"), each with the real CLI.
@Suite("Error paths", .serialized)
struct ErrorPathTests {
    /// What a crash leaves on standard error: none of it may appear.
    private static func crashed(_ result: CLIRunner.Result) -> Bool {
        ["Fatal error", "Stack dump", "backtrace", "SIGILL", "Illegal instruction"].contains { result.stderr.contains($0) } || result.exitCode == 132
    }

    /// Every command that writes to standard output, run with its reader already gone: the
    /// read-only ones end quietly (0 or 141, nothing on stderr), and `apply` and `destroy`
    /// finish the work and record it.
    @Test func aClosedOutputPipeEndsReadOnlyCommandsQuietly() throws {
        let workspace = try Workspace { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") }
        defer { workspace.directory.remove() }
        let applied = try workspace.run(["apply", workspace.manifests, "--auto-approve"], stdoutClosed: true)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(!Self.crashed(applied))
        #expect(try workspace.worldCount() == 21)
        #expect(try workspace.unfinishedEvents() == 0)
        let plan = workspace.directory.file("plan.json")
        let commands: [[String]] = [
            ["validate", workspace.manifests], ["plan", workspace.manifests], ["plan", workspace.manifests, "-o", "json"],
            ["plan", workspace.manifests, "--out", plan], ["drift", workspace.manifests], ["get"], ["get", "-o", "json"],
            ["status"], ["events"], ["graph", workspace.manifests], ["sim", "ls"], ["providers"], ["--help"], ["plan", "--help"],
        ]
        for command in commands {
            let result = try workspace.run(command, stdoutClosed: true)
            #expect([0, 2, 141].contains(result.exitCode), "\(command): exit \(result.exitCode)")
            #expect(!Self.crashed(result), "\(command): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(command): \(result.stderr)")
        }
        // The saved plan was written whole before the pipe mattered.
        #expect(try workspace.run(["apply", plan, "--auto-approve"]).exitCode == 0)

        let destroyed = try workspace.run(["destroy", workspace.manifests, "--auto-approve", "--allow-mass-delete"], stdoutClosed: true)
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(!Self.crashed(destroyed))
        #expect(try workspace.worldCount() == 0)
        #expect(try workspace.unfinishedEvents() == 0)
        // Nothing is left locked.
        #expect(try workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
    }
}
