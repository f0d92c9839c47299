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
/// Spawned with posix_spawn and reaped with waitpid directly: a script that leaves a detached
/// process behind (a `Process` resource) must not keep Ballast waiting.
enum ProcessRunner {
    static func run(_ executable: String, _ arguments: [String], input: String, timeout: Duration) async throws(ProviderError) -> HostResult {
        // stdout and stderr go to unlinked temporary files, read after the child exits: a
        // process it leaves behind (ssh's ControlPersist master, say) may keep them open.
        var stdinPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0 else { throw ProviderError(.unavailable, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        for descriptor in stdinPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        let outputFD = try temporaryFile(), errorFD = try temporaryFile()
        defer { close(outputFD); close(errorFD) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errorFD, 2)
        // Nothing else of Ballast's reaches the child: an inherited descriptor kept open by a
        // detached process would make whoever waits on Ballast wait for that process too.
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with no signal blocked and default handlers (Ballast's own threads
        // block some, and a host's processes must be stoppable).
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var spawnedPID: pid_t = 0
        let spawned = posix_spawn(&spawnedPID, executable, &actions, &attributes, argv, environ)
        let pid = spawnedPID
        close(stdinPipe[0])
        guard spawned == 0 else {
            close(stdinPipe[1])
            throw ProviderError(.unavailable, "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        let inputFD = stdinPipe[1]
        let killer = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        let (output, errors, status) = await withCheckedContinuation { (continuation: CheckedContinuation<([UInt8], [UInt8], Int32), Never>) in
            Thread {
                let bytes = Array(input.utf8)
                var written = 0
                while written < bytes.count {
                    let count = bytes.withUnsafeBytes { write(inputFD, $0.baseAddress! + written, bytes.count - written) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    written += count
                }
                close(inputFD)
            }.start()
            Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: (readAll(outputFD), readAll(errorFD), status))
            }.start()
        }
        killer.cancel()
        let signalled = status & 0x7f
        if signalled == SIGKILL { throw ProviderError(.timeout, "the host did not finish within \(timeout)") }
        let exitStatus = signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
        return HostResult(status: exitStatus, output: String(decoding: output, as: UTF8.self), errors: String(decoding: errors, as: UTF8.self))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), found at run time because the
    /// Swift Glibc module does not export it.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        // Older C libraries: close what is open now (/proc/self/fd), except close-on-exec ones.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 && fcntl(descriptor, F_GETFD) & FD_CLOEXEC == 0 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
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
