import BallastProviders
import Foundation

/// Runs the built `ballast` executable, as a user would.
public struct CLIRunner: Sendable {
    public struct Result: Sendable {
        /// As a shell shows it: the exit status, or 128 + the signal that ended the command.
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
    }

    public var executable: String
    public let workingDirectory: String
    public var environment: [String: String]

    /// Finds `ballast` next to the test bundle (SwiftPM builds both into one directory).
    public init(workingDirectory: String, environment: [String: String] = [:]) {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundleDirectory.appendingPathComponent("ballast").path]
        for build in [".build/debug/ballast", ".build/release/ballast"] {
            candidates.append((workingDirectory as NSString).appendingPathComponent(build))
        }
        executable = candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
        self.workingDirectory = workingDirectory
        var base = ProcessInfo.processInfo.environment
        base["NO_COLOR"] = "1"
        base.removeValue(forKey: "BALLAST_STATE")
        self.environment = base.merging(environment) { _, new in new }
    }

    public var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// `stdoutClosed`: the reader of standard output is gone before the command starts, as
    /// with `ballast get | head -1` once head has its line; every write to it fails with EPIPE.
    /// `launcher`: a command that runs ballast (`setpriv --reuid=65534 …`), or none.
    ///
    /// The child is waited for on a thread of its own (``offPool(_:)``), never on one of the few
    /// threads of Swift's cooperative pool: the whole suite is one process, and a test blocking
    /// a pool thread for a command's whole run starves the in-process controllers, daemons'
    /// clients and timers of every other test meanwhile.
    public func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:], stdoutClosed: Bool = false, launcher: [String] = []) async throws -> Result {
        try await offPool { try runBlocking(arguments, stdin: stdin, environment: extra, stdoutClosed: stdoutClosed, launcher: launcher) }
    }

    private func runBlocking(_ arguments: [String], stdin: String?, environment extra: [String: String], stdoutClosed: Bool, launcher: [String]) throws -> Result {
        // With its reader gone: a pipe whose read end is closed before the child starts.
        var unreadOutput: Int32?
        if stdoutClosed {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw TestServerUnavailable(description: "cannot create a pipe: \(String(cString: strerror(errno)))") }
            close(ends[0])
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
            unreadOutput = ends[1]
        }
        defer { if let unreadOutput { close(unreadOutput) } }
        let child = try spawn(arguments, environment: extra, launcher: launcher, input: .pipe, output: unreadOutput.map { .descriptor($0) } ?? .pipe, errors: .pipe)
        defer { for case let descriptor? in [child.output, child.errors] { close(descriptor) } }
        if let stdin { child.writeInput(Array(stdin.utf8)) }
        if let input = child.input { close(input) }
        // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = child.errors.map { Self.readUntilExit($0, of: child) } ?? Data()
            group.leave()
        }
        let outputData = child.output.map { Self.readUntilExit($0, of: child) } ?? Data()
        group.wait()
        return Result(exitCode: ChildProcess.exitCode(child.wait() ?? 0), stdout: String(decoding: outputData, as: UTF8.self), stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Starts ballast (through `launcher`, when given) in the working directory, with this
    /// runner's environment and `extra` on top of it.
    private func spawn(_ arguments: [String], environment extra: [String: String], launcher: [String], input: ChildProcess.Stream, output: ChildProcess.Stream, errors: ChildProcess.Stream) throws -> ChildProcess {
        let command = launcher.isEmpty ? [executable] + arguments : launcher + [executable] + arguments
        return try ChildProcess(
            command[0], Array(command.dropFirst()), baseEnvironment: environment.merging(extra) { _, new in new }, workingDirectory: workingDirectory,
            input: input, output: output, errors: errors)
    }

    /// Everything the child writes to a pipe: until end of file, or, once the child has exited,
    /// what is left in the pipe. End of file alone is not enough: a process the command leaves
    /// behind (a daemon it started) would hold the pipe's write end open, and a read waiting for
    /// it would never return.
    static func readUntilExit(_ descriptor: Int32, of child: ChildProcess) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&watched, 1, 100)
            if ready < 0 {
                if errno == EINTR { continue }
                return data
            }
            if ready == 0 {
                // Nothing for 100 ms: done when the child is; what it wrote is already here.
                if !child.isRunning { return data + drain(descriptor) }
                continue
            }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return data }
            data.append(contentsOf: chunk[..<count])
        }
    }

    /// What is in the pipe now, without waiting.
    private static func drain(_ descriptor: Int32) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&watched, 1, 0) > 0 else { return data }
            let count = read(descriptor, &chunk, chunk.count)
            guard count > 0 else { return data }
            data.append(contentsOf: chunk[..<count])
        }
    }

    /// Starts the CLI without waiting; output goes to files (created, or emptied). Wait with
    /// ``ChildProcess/exit(within:)``.
    /// `launcher`: a command that runs ballast (`ip netns exec NAME`), or none.
    public func start(_ arguments: [String], stdout: String, stderr: String, environment extra: [String: String] = [:], launcher: [String] = []) throws -> ChildProcess {
        let outputFile = open(stdout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let errorFile = open(stderr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { for descriptor in [outputFile, errorFile] where descriptor >= 0 { close(descriptor) } }
        guard outputFile >= 0, errorFile >= 0 else { throw TestServerUnavailable(description: "cannot create \(stdout) or \(stderr): \(String(cString: strerror(errno)))") }
        return try spawn(arguments, environment: extra, launcher: launcher, input: .null, output: .descriptor(outputFile), errors: .descriptor(errorFile))
    }
}
