#if canImport(Glibc)
import Glibc
#endif

/// Reads whole files for manifests, the files specs and secrets name, and standard input:
/// bounded, and never stuck on, nor silently empty from, what is not a regular file.
///
/// A regular file is read as long as it was when opened. Anything else (a named pipe, a
/// device, a socket) is refused unless the caller reads streams: a path given on the command
/// line, such as the shell's `<(…)`, is read to its end. The size of a stream is not known
/// beforehand; `/dev/zero` reports 0 bytes, so reading "the file's size" of one read nothing, and
/// a named pipe without a writer blocked the process for ever.
public enum FileContents {
    /// Why a file could not be read, as a diagnostic says it after "cannot be read: ".
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The bytes of the file at `path`, or why not.
    ///
    /// - Parameters:
    ///   - streams: read what is not a regular file to its end (command-line paths) instead of
    ///     refusing it.
    ///   - limit: the most bytes accepted; a larger file is a failure, read no further.
    public static func read(_ path: String, streams: Bool = false, limit: Int) -> Result<[UInt8], Failure> {
        // Not blocking on open: a named pipe without a writer would otherwise wait for one
        // before its type could be checked.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (streams ? 0 : O_NONBLOCK))
        guard descriptor >= 0 else { return .failure(Failure(description: openFailure(path, errno: errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(Failure(description: reason(errno: errno))) }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { return .failure(Failure(description: "it is a directory")) }
        if type != S_IFREG && !streams {
            return .failure(Failure(description: "not a regular file (\(describe(type))); only regular files are read here"))
        }
        let bytes = readToEnd(descriptor: descriptor, sizeHint: type == S_IFREG ? Int(info.st_size) : 0, limit: limit)
        guard bytes.count <= limit else { return .failure(Failure(description: "larger than the limit of \(limit) bytes")) }
        return .success(bytes)
    }

    /// Whether `path` names a stream (a pipe such as the shell's `<(…)`, a device, a socket):
    /// something that exists and is neither a regular file nor a directory, so it can be read
    /// only once. False for what does not exist.
    public static func isStream(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// Reads `descriptor` to its end, or to `limit` + 1 bytes, whichever comes first: a caller
    /// can tell an input larger than its limit without holding all of it.
    public static func readToEnd(descriptor: Int32, sizeHint: Int = 0, limit: Int) -> [UInt8] {
        let cap = limit < Int.max ? limit + 1 : limit
        var bytes: [UInt8] = []
        // One byte past a regular file's size: a read that comes up short is its end.
        var capacity = min(max(sizeHint + 1, 64 * 1024), cap)
        while true {
            let start = bytes.count
            guard start < cap else { return bytes }
            // Read into uninitialised storage: zero-filling 35 MB first would cost as much again.
            let room = min(capacity, cap) - start
            var more = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
                var done = 0
                while done < buffer.count {
                    let count = Glibc.read(descriptor, buffer.baseAddress! + done, buffer.count - done)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    done += count
                }
                initialized = done
            }
            if start == 0 {
                bytes = more
            } else {
                bytes.append(contentsOf: more)
            }
            more = []
            // Short of the room asked for: the end (or an error, read as the end).
            if bytes.count - start < room { return bytes }
            capacity = min(capacity * 2, cap)
        }
    }

    private static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: "a named pipe"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a file"
        }
    }

    private static func openFailure(_ path: String, errno code: Int32) -> String {
        var link = stat()
        if code == ENOENT, lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
            return "it is a symbolic link to something that does not exist"
        }
        return reason(errno: code)
    }

    /// An `errno` in words, as the diagnostics after "cannot be read: " put it.
    static func reason(errno code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}
