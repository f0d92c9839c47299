import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes to the process's standard output and error with `write(2)`, so that a closed pipe
/// (`ballast get | head -1`) is an error Ballast handles rather than a trap in Foundation.
///
/// SIGPIPE is ignored for the whole process (``ignoreBrokenPipeSignal()``), so a closed reader
/// shows up as EPIPE. What happens then is the command's choice, made once when it starts:
/// - read-only commands (the default) end quietly with status 141, as `cat` or `grep` killed
///   by SIGPIPE would;
/// - commands that change the world (`apply`, `destroy`, `watch`) ``keepRunningWhenClosed()``:
///   the rest of their output is dropped, and they finish and record their outcome.
enum StandardStreams {
    /// What a command does when its reader goes away.
    enum ClosedReader: UInt8 { case exitQuietly = 0, keepRunning = 1 }

    private static let policy = Atomic<UInt8>(ClosedReader.exitQuietly.rawValue)
    private static let outputClosed = Atomic<Bool>(false)
    private static let errorClosed = Atomic<Bool>(false)

    /// The exit status of a process killed by SIGPIPE, as shells report it.
    static let brokenPipeStatus: Int32 = 128 + SIGPIPE

    static func ignoreBrokenPipeSignal() { signal(SIGPIPE, SIG_IGN) }

    /// For commands that must not stop halfway because nobody reads their output.
    static func keepRunningWhenClosed() { policy.store(ClosedReader.keepRunning.rawValue, ordering: .relaxed) }

    /// Whether standard output's reader has gone away.
    static var isOutputClosed: Bool { outputClosed.load(ordering: .relaxed) }

    static func writeOutput(_ text: String) {
        guard !outputClosed.load(ordering: .relaxed) else { return }
        guard writeAll(STDOUT_FILENO, text) else {
            outputClosed.store(true, ordering: .relaxed)
            if policy.load(ordering: .relaxed) == ClosedReader.exitQuietly.rawValue { exit(brokenPipeStatus) }
            return
        }
    }

    /// Errors go on being written after standard output closes (they say why a run failed);
    /// when standard error itself is closed there is nobody left to tell.
    static func writeError(_ text: String) {
        guard !errorClosed.load(ordering: .relaxed) else { return }
        if !writeAll(STDERR_FILENO, text) { errorClosed.store(true, ordering: .relaxed) }
    }

    /// Writes every byte, retrying short writes and EINTR; false when the descriptor refuses
    /// (EPIPE, EBADF, EIO, a full disk).
    private static func writeAll(_ descriptor: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += count
            }
            return true
        }
    }
}
