import Foundation

/// Runs the built `ballast` executable, as a user would.
public struct CLIRunner: Sendable {
    public struct Result: Sendable {
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? executable)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.environment = environment.merging(extra) { _, new in new }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        if stdoutClosed { try output.fileHandleForReading.close() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = Self.readUntilExit(errors.fileHandleForReading, of: process)
            group.leave()
        }
        let outputData = stdoutClosed ? Data() : Self.readUntilExit(output.fileHandleForReading, of: process)
        group.wait()
        return Result(exitCode: Self.exitStatus(of: process), stdout: String(decoding: outputData, as: UTF8.self), stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Whether the child has exited, asked of the kernel without reaping it: Foundation's
    /// `Process` has been seen to miss a child's exit when many start and end at once (the child
    /// stayed a zombie, `isRunning` true, and the suite hung).
    static func hasExited(_ process: Process) -> Bool {
        guard process.isRunning else { return true }
        var info = siginfo_t()
        return waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == SIGCHLD
    }

    /// The child's exit status: Foundation's, or, when it missed the exit, reaped here.
    static func exitStatus(of process: Process) -> Int32 {
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard process.isRunning else { return process.terminationStatus }
        var status: Int32 = 0
        guard waitpid(process.processIdentifier, &status, 0) == process.processIdentifier else {
            process.waitUntilExit()
            return process.terminationStatus
        }
        // WIFEXITED / WEXITSTATUS; for a signal, its number, as Foundation reports it.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Everything the child writes to a pipe: until end of file, or, once the child has exited,
    /// what is left in the pipe. End of file alone is not enough: a process another test starts
    /// at the same moment (a database server's supervisor) can inherit the pipe's write end and
    /// hold it open for the whole suite, and a read waiting for it would never return.
    static func readUntilExit(_ handle: FileHandle, of process: Process) -> Data {
        let descriptor = handle.fileDescriptor
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
                if hasExited(process) { return data + drain(descriptor) }
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

    /// Starts the CLI without waiting; output goes to files. Wait with `waitUntilExit()`.
    /// `launcher`: a command that runs ballast (`ip netns exec NAME`), or none.
    public func start(_ arguments: [String], stdout: String, stderr: String, environment extra: [String: String] = [:], launcher: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? executable)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.environment = environment.merging(extra) { _, new in new }
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
