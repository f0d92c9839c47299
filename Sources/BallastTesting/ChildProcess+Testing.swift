import BallastProviders
import Foundation

extension ChildProcess {
    /// Starts `command` (an absolute path first) with its standard output and error appended
    /// to `log` (created when missing) and standard input from /dev/null.
    public static func logging(_ command: [String], to log: String, environment: [String: String] = [:]) throws -> ChildProcess {
        let file = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw TestServerUnavailable(description: "cannot open \(log): \(String(cString: strerror(errno)))") }
        defer { close(file) }
        return try ChildProcess(command[0], Array(command.dropFirst()), environment: environment, output: .descriptor(file), errors: .descriptor(file))
    }

    /// Waits for the child to exit without holding a thread of the cooperative pool; after
    /// `timeout` it is killed (SIGKILL), so a hung child fails its test instead of hanging the
    /// suite. True when it exited by itself.
    public func exit(within timeout: Duration) async -> Bool {
        let exited = await WatchProcess.eventually(timeout: timeout) { !self.isRunning }
        if !exited {
            send(SIGKILL)
            _ = await WatchProcess.eventually(timeout: .seconds(10)) { !self.isRunning }
        }
        return exited
    }

    /// The exit code a shell would show (128 + the signal for one that ended it) once the child
    /// has exited; nil while it runs. (Between its exit and its reaping, this waits for the
    /// reaper, which is about to run.)
    public var exitCode: Int32? { isRunning ? nil : wait().map(Self.exitCode) }
}
