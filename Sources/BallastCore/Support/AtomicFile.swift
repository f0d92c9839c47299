import Foundation

/// Files written whole or not at all: a crash, a kill or a power cut leaves the old contents or
/// the new, never half of either.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path` created with mode 0600, gives it `mode`
    /// (whatever the umask), flushes it, and renames it over `path`; the directory is flushed
    /// too, so the rename survives a power cut. The temporary name does not end in `.yaml`, so
    /// a directory of manifests read meanwhile never sees it.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        var ok = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fchmod(descriptor, mode) == 0 && fsync(descriptor) == 0
        close(descriptor)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let directory = open(PathText.deletingLastComponent(path).isEmpty ? "." : PathText.deletingLastComponent(path), O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
