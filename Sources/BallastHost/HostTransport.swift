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

public typealias HostResult = ProcessResult

/// This machine.
public struct LocalTransport: HostTransport {
    public init() {}

    public func run(_ script: String, timeout: Duration) async throws(ProviderError) -> HostResult {
        try await ProcessRunner.run("/bin/sh", ["-s"], input: script, timeout: timeout, what: "the host")
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
        let result = try await ProcessRunner.run("/usr/bin/ssh", arguments, input: script, timeout: timeout, what: "the host")
        if result.status == 255 {
            throw ProviderError(.unavailable, "ssh \(destination):\(port): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result
    }
}
