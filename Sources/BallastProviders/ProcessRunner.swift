import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a program run to completion ended: its exit code (128 + the signal when one ended it)
/// and what it wrote.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
    public var errors: String

    public init(status: Int32, output: String, errors: String) {
        self.status = status
        self.output = output
        self.errors = errors
    }
}

/// Runs a program with `input` on its stdin, collecting stdout and stderr, killed at `timeout`
/// (a ``ProviderError/Code/timeout`` naming `what`).
///
/// Started as a ``ChildProcess``, which reaps it directly: a script that leaves a detached
/// process behind (a `Process` resource) must not keep Ballast waiting. The wait happens on a
/// thread of its own, never on the caller's.
public enum ProcessRunner {
    public static func run(_ executable: String, _ arguments: [String], input: String = "", environment: [String: String] = [:], timeout: Duration, what: String) async throws(ProviderError) -> ProcessResult {
        // stdout and stderr go to unlinked temporary files, read after the child exits: a
        // process it leaves behind (ssh's ControlPersist master, say) may keep them open.
        let outputFD = try temporaryFile(), errorFD = try temporaryFile()
        defer { close(outputFD); close(errorFD) }
        let status = try await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int32, ProviderError>, Never>) in
            let child: ChildProcess
            do throws(ProviderError) {
                child = try ChildProcess(executable, arguments, environment: environment, input: .pipe, output: .descriptor(outputFD), errors: .descriptor(errorFD)) { status in
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
        if status & 0x7f == SIGKILL { throw ProviderError(.timeout, "\(what) did not finish within \(timeout)") }
        return ProcessResult(status: ChildProcess.exitCode(status), output: String(decoding: readAll(outputFD), as: UTF8.self), errors: String(decoding: readAll(errorFD), as: UTF8.self))
    }

    /// An anonymous temporary file (created, then unlinked), close-on-exec.
    public static func temporaryFile() throws(ProviderError) -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/ballast-host-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw ProviderError(.unavailable, "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
    }

    /// Reads a file from its start.
    public static func readAll(_ descriptor: Int32) -> [UInt8] {
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
