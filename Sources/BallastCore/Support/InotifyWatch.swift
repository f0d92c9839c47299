import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One inotify instance and the thread that reads it: blocked in `poll()` on the instance and a
/// stop pipe, so it costs no CPU while nothing changes. Each batch of events goes to `onEvents`,
/// each as the path watched and the name it carries (empty for an event on that path itself).
///
/// Shared by the sim world's change feed and watch mode's manifest directories.
public final class InotifyWatch: Sendable {
    /// What a directory watch reports: files created, written, moved in or out, deleted, and
    /// the directory itself moved or deleted.
    public static let directoryEvents = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)

    private let descriptor: Int32
    private let stopWrite: Int32
    private struct State {
        var stopped = false
        var watches: [String: Int32] = [:]
        var paths: [Int32: String] = [:]
    }
    /// Shared with the reader thread, which names each event's watched path.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }
    private let shared = Shared()

    /// One event: the path watched (nil when it is no longer watched), and the name within it.
    public struct Event: Sendable {
        public var watched: String?
        public var name: String
    }

    /// Nil when inotify cannot be used here (no kernel support, or the per-user instance limit).
    public init?(onEvents: @escaping @Sendable (_ events: [Event]) -> Void) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            close(descriptor)
            return nil
        }
        let (stopRead, stopWrite) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(stopRead, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stopWrite, F_SETFD, FD_CLOEXEC)
        self.descriptor = descriptor
        self.stopWrite = stopWrite
        let shared = self.shared
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
            while true {
                watched[0].revents = 0
                watched[1].revents = 0
                let ready = poll(&watched, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0, watched[1].revents == 0 else { break }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                let raw = Self.events(buffer, count: count)
                let paths = shared.state.withLock { $0.paths }
                onEvents(raw.map { Event(watched: paths[$0.watch], name: $0.name) })
            }
            close(descriptor)
            close(stopRead)
        }
        reader.start()
    }

    deinit {
        stop()
    }

    /// Watches `path` (following a symbolic link) for `mask`; false when it cannot be watched
    /// (it does not exist, or the per-user watch limit is reached). Watching a path again
    /// renews its watch, on the inode it names now.
    @discardableResult
    public func watch(_ path: String, mask: UInt32 = directoryEvents) -> Bool {
        shared.state.withLock { state in
            guard !state.stopped else { return false }
            let watch = inotify_add_watch(descriptor, path, mask)
            guard watch >= 0 else { return false }
            state.watches[path] = watch
            state.paths[watch] = path
            return true
        }
    }

    /// Stops watching `path`.
    public func unwatch(_ path: String) {
        shared.state.withLock { state in
            guard !state.stopped, let watch = state.watches.removeValue(forKey: path) else { return }
            // Two paths may name one directory (one watch): it stays while the other needs it.
            if state.watches.values.contains(watch) { return }
            state.paths[watch] = nil
            _ = inotify_rm_watch(descriptor, watch)
        }
    }

    /// The paths watched now.
    public var watched: Set<String> {
        shared.state.withLock { Set($0.watches.keys) }
    }

    /// Ends the reader thread, which closes the instance. Further calls do nothing.
    public func stop() {
        let first = shared.state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
        close(stopWrite)
    }

    /// The watch descriptor and name of each event in a batch, in order.
    static func events(_ buffer: [UInt8], count: Int) -> [(watch: Int32, name: String)] {
        let header = MemoryLayout<inotify_event>.size
        var events: [(watch: Int32, name: String)] = []
        var offset = 0
        while offset + header <= count {
            let watch = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
            let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
            let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)].prefix { $0 != 0 }
            events.append((watch, String(decoding: nameBytes, as: UTF8.self)))
            offset += header + length
        }
        return events
    }
}
