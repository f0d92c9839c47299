import BallastCore
import BallastTesting
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Files are read whole and bounded; what is not a regular file is refused without blocking,
/// unless the caller reads streams (a command-line `<(…)`), which are read to their end.
@Suite("Reading files", .timeLimit(.minutes(1)))
struct FileContentsTests {
    @Test func aRegularFileIsReadWhole() throws {
        let directory = TemporaryDirectory(prefix: "ballast-read")
        defer { directory.remove() }
        let text = String(repeating: "spec: { a: 1 }\n", count: 20_000)  // past the first 64 KiB read
        directory.write("big.yaml", text)
        directory.write("empty.yaml", "")
        #expect(try FileContents.read(directory.file("big.yaml"), limit: 1 << 20).get() == Array(text.utf8))
        #expect(try FileContents.read(directory.file("empty.yaml"), limit: 1 << 20).get() == [])
    }

    @Test func aFileOverTheLimitIsAFailureNotATruncation() throws {
        let directory = TemporaryDirectory(prefix: "ballast-read")
        defer { directory.remove() }
        directory.write("eleven.yaml", "0123456789\n")
        #expect(try FileContents.read(directory.file("eleven.yaml"), limit: 11).get().count == 11)
        #expect(throws: FileContents.Failure(description: "larger than the limit of 10 bytes")) {
            try FileContents.read(directory.file("eleven.yaml"), limit: 10).get()
        }
    }

    @Test func whatIsNotARegularFileIsRefusedWithoutBlocking() throws {
        let directory = TemporaryDirectory(prefix: "ballast-read")
        defer { directory.remove() }
        // A named pipe nobody writes to: opening it to read used to wait for a writer for ever.
        #expect(mkfifo(directory.file("pipe.yaml"), 0o600) == 0)
        #expect(throws: FileContents.Failure(description: "not a regular file (a named pipe); only regular files are read here")) {
            try FileContents.read(directory.file("pipe.yaml"), limit: 1 << 20).get()
        }
        // /dev/zero reports a size of 0: read by its size it was an empty manifest.
        #expect(throws: FileContents.Failure(description: "not a regular file (a character device); only regular files are read here")) {
            try FileContents.read("/dev/zero", limit: 1 << 20).get()
        }
        #expect(symlink(directory.file("gone.yaml"), directory.file("dangling.yaml")) == 0)
        #expect(throws: FileContents.Failure(description: "it is a symbolic link to something that does not exist")) {
            try FileContents.read(directory.file("dangling.yaml"), limit: 1 << 20).get()
        }
        #expect(throws: FileContents.Failure(description: "no such file or directory")) {
            try FileContents.read(directory.file("missing.yaml"), limit: 1 << 20).get()
        }
        #expect(throws: FileContents.Failure(description: "it is a directory")) {
            try FileContents.read(directory.path, limit: 1 << 20).get()
        }
    }

    @Test func aStreamIsReadToItsEndOrOnePastTheLimit() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)  // more than a pipe holds
        let writeEnd = ends[1]
        let writer = Thread {
            // Should the reader stop early, a write fails with EPIPE on this thread, never a
            // SIGPIPE that would end the whole test process.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            payload.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let count = write(writeEnd, bytes.baseAddress! + done, bytes.count - done)
                    guard count > 0 else { break }
                    done += count
                }
            }
            close(writeEnd)
        }
        writer.start()
        // As the shell's `<(…)` names it.
        let read = try FileContents.read("/proc/self/fd/\(ends[0])", streams: true, limit: 1 << 20).get()
        close(ends[0])
        #expect(read == payload)

        // An endless stream stops one byte past the limit, so the caller can say it was larger.
        let zero = open("/dev/zero", O_RDONLY | O_CLOEXEC)
        defer { close(zero) }
        #expect(FileContents.readToEnd(descriptor: zero, limit: 100_000).count == 100_001)
        #expect(throws: FileContents.Failure(description: "larger than the limit of 1000 bytes")) {
            try FileContents.read("/dev/zero", streams: true, limit: 1_000).get()
        }
    }
}
