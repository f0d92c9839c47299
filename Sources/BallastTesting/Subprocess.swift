import BallastProviders
import Foundation

/// Runs a helper command (`initdb`, `ip`, …) to completion: its exit status and what it printed
/// on standard output and standard error together.
public enum Subprocess {
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw TestServerUnavailable(description: "cannot create a pipe: \(String(cString: strerror(errno)))") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[0]) }
        let child: ChildProcess
        do {
            defer { close(ends[1]) }
            child = try ChildProcess(arguments[0], Array(arguments.dropFirst()), output: .descriptor(ends[1]), errors: .descriptor(ends[1]))
        }
        let output = ProcessRunner.readAll(ends[0])
        return (ChildProcess.exitCode(child.wait() ?? 0), String(decoding: output, as: UTF8.self))
    }
}
