import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a POSIX shell script on a host: this machine, or one reached over SSH. The script goes
/// to the shell's standard input, never onto a command line, and every value in it is quoted
/// with ``ShellQuote``.
public protocol HostTransport: Sendable {
    /// Runs `script` with `sh -s` and returns its exit status and standard output. Throws a
    /// retryable `unavailable` error when the host cannot be reached, and `timeout` after
    /// `timeout`.
    func run(_ script: String, timeout: Duration) async throws(ProviderError) -> HostResult
}

public struct HostResult: Sendable {
    public var status: Int32
    public var output: String
    public var errors: String
}

/// Runs a program with `input` on its stdin, collecting stdout and stderr, killed at `timeout`.
///
/// Started as a ``ChildProcess``, which reaps it directly: a script that leaves a detached
/// process behind (a `Process` resource) must not keep Ballast waiting.
enum ProcessRunner {
    static func run(_ executable: String, _ arguments: [String], input: String, timeout: Duration) async throws(ProviderError) -> HostResult {
        // stdout and stderr go to unlinked temporary files, read after the child exits: a
        // process it leaves behind (ssh's ControlPersist master, say) may keep them open.
        let outputFD = try temporaryFile(), errorFD = try temporaryFile()
        defer { close(outputFD); close(errorFD) }
        let status = try await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int32, ProviderError>, Never>) in
            let child: ChildProcess
            do throws(ProviderError) {
                child = try ChildProcess(executable, arguments, input: .pipe, output: .descriptor(outputFD), errors: .descriptor(errorFD)) { status in
                    continuation.resume(returning: .success(status))
                }
            } catch {
                continuation.resume(returning: .failure(error))
                return
            }
            let killer = Task {
                try await Task.sleep(for: timeout)
                child.send(SIGKILL)
            }
            Thread {
                child.writeInput(Array(input.utf8))
                close(child.input!)
                child.wait()
                killer.cancel()
            }.start()
        }.get()
        if status & 0x7f == SIGKILL { throw ProviderError(.timeout, "the host did not finish within \(timeout)") }
        return HostResult(status: ChildProcess.exitCode(status), output: String(decoding: readAll(outputFD), as: UTF8.self), errors: String(decoding: readAll(errorFD), as: UTF8.self))
    }

    /// An anonymous temporary file (created, then unlinked), close-on-exec.
    static func temporaryFile() throws(ProviderError) -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/ballast-host-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw ProviderError(.unavailable, "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
    }

    /// Reads a file from its start.
    static func readAll(_ descriptor: Int32) -> [UInt8] {
        lseek(descriptor, 0, SEEK_SET)
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            result.append(contentsOf: buffer[..<count])
        }
        return result
    }
}

/// This machine.
public struct LocalTransport: HostTransport {
    public init() {}

    public func run(_ script: String, timeout: Duration) async throws(ProviderError) -> HostResult {
        try await ProcessRunner.run("/bin/sh", ["-s"], input: script, timeout: timeout)
    }
}

/// A host reached with the system OpenSSH client: batch mode (never a prompt), a shared master
/// connection per host (ControlMaster/ControlPersist), strict host key checking against
/// `knownHostsFile` when given, and a timeout on every call.
public struct SSHTransport: HostTransport {
    public var host: String
    public var port: Int
    public var user: String?
    public var identityFile: String?
    public var knownHostsFile: String?
    public var controlDirectory: String

    public init(host: String, port: Int, user: String?, identityFile: String?, knownHostsFile: String?, controlDirectory: String) {
        self.host = host
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
        self.controlDirectory = controlDirectory
    }

    var destination: String { (user.map { $0 + "@" } ?? "") + host }

    var arguments: [String] {
        var arguments = [
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
            "-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-o", "ControlPath=\(controlDirectory)/%C",
            "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR", "-p", String(port),
        ]
        if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
        if let knownHostsFile { arguments += ["-o", "UserKnownHostsFile=\(knownHostsFile)"] }
        // "--" ends the options: a hostile host name cannot become one.
        return arguments + ["--", destination, "sh -s"]
    }

    public func run(_ script: String, timeout: Duration) async throws(ProviderError) -> HostResult {
        try? FileManager.default.createDirectory(atPath: controlDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let result = try await ProcessRunner.run("/usr/bin/ssh", arguments, input: script, timeout: timeout)
        if result.status == 255 {
            throw ProviderError(.unavailable, "ssh \(destination):\(port): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result
    }
}
