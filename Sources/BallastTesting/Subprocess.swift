import BallastProviders
import Foundation

/// Runs a helper command (`initdb`, `ip`, …) to completion: its exit status and what it printed
/// on standard output and standard error together.
///
/// The output goes to an unlinked temporary file read once the command has exited, as
/// ``ProcessRunner`` does: a process it leaves behind (git's background maintenance, a server
/// it started) may keep the file open, where a pipe read to its end would wait for that process.
public enum Subprocess {
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let output = try ProcessRunner.temporaryFile()
        defer { close(output) }
        let child = try ChildProcess(arguments[0], Array(arguments.dropFirst()), output: .descriptor(output), errors: .descriptor(output))
        let status = ChildProcess.exitCode(child.wait() ?? 0)
        return (status, String(decoding: ProcessRunner.readAll(output), as: UTF8.self))
    }
}
