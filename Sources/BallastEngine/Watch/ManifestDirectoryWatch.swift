import BallastCore
import Foundation
import Logging
import Synchronization

/// The inotify watch on the directories manifests live in, for ``DirectoryManifestSource``: any
/// event there gives ``changed``, and the source then compares fingerprints.
final class ManifestDirectoryWatch: Sendable {
    /// Given on every batch of events.
    let changed = WakeSignal()
    private enum Instance {
        case notStarted
        case running(InotifyWatch)
        case unavailable
    }
    private let instance = Mutex(Instance.notStarted)
    /// For a directory watched only because a manifest directory is in it: the names there
    /// that count. Other events there (a busy home directory) wake nothing.
    private let onlyNames = NameFilters()

    /// Shared with the reader thread's callback (which must not hold the watch itself).
    private final class NameFilters: Sendable {
        let byDirectory = Mutex([String: Set<String>]())
    }
    private let logger: Logger?
    private let warned = Mutex(false)

    init(logger: Logger? = nil) {
        self.logger = logger
    }

    /// What arming found.
    enum Armed {
        /// Every directory is watched; `added` when some were not before (what changed in them
        /// before now went unreported: the caller looks at once).
        case watching(added: Bool)
        /// inotify cannot be used, or a directory cannot be watched (it does not exist, or the
        /// watch limit is reached): the caller polls.
        case unavailable
    }

    /// Watches the directories `paths` and `extraFiles` are in (each manifest directory with its
    /// subdirectories and its parent, and the directory of each file), and stops watching the
    /// others. In a parent or a file's directory, only events naming the manifest directory or
    /// the file count.
    func arm(paths: [String], extraFiles: [String]) -> Armed {
        guard let directories = Self.directories(paths: paths, extraFiles: extraFiles) else { return .unavailable }
        guard let watch = started() else {
            warnOnce("inotify cannot be used here; manifest changes are found by comparing the files every second")
            return .unavailable
        }
        let wanted = Set(directories.keys)
        onlyNames.byDirectory.withLock { $0 = directories.compactMapValues { $0 } }
        let before = watch.watched
        for stale in before.subtracting(wanted) { watch.unwatch(stale) }
        // Watching again renews a watch on the directory a path names now (one replaced by a rename).
        guard wanted.allSatisfy({ watch.watch($0) }) else {
            warnOnce("a manifest directory cannot be watched with inotify (fs.inotify.max_user_watches may be reached: raise it with sysctl); manifest changes are found by comparing the files every second")
            return .unavailable
        }
        return .watching(added: !wanted.isSubset(of: before))
    }

    private func warnOnce(_ message: String) {
        guard warned.withLock({ state in defer { state = true }; return !state }) else { return }
        logger?.warning("\(message)")
    }

    private func started() -> InotifyWatch? {
        instance.withLock { instance in
            switch instance {
            case .running(let watch): return watch
            case .unavailable: return nil
            case .notStarted:
                let changed = self.changed
                let onlyNames = self.onlyNames
                guard let watch = InotifyWatch(onEvents: { events in
                    let filters = onlyNames.byDirectory.withLock { $0 }
                    let counts = events.contains { event in
                        guard let watched = event.watched, let names = filters[watched] else { return true }
                        return names.contains(event.name) || event.name.isEmpty
                    }
                    if counts { changed.signal() }
                }) else {
                    instance = .unavailable
                    return nil
                }
                instance = .running(watch)
                return watch
            }
        }
    }

    /// The directories to watch, each with the names in it that count (nil: every name); nil
    /// when one that must be watched does not exist.
    static func directories(paths: [String], extraFiles: [String]) -> [String: Set<String>?]? {
        var directories: [String: Set<String>?] = [:]
        func add(_ directory: String, counting name: String?) {
            guard let name else {
                directories[directory] = .some(nil)
                return
            }
            if case .some(.some(var names)) = directories[directory] {
                names.insert(name)
                directories[directory] = .some(names)
            } else if directories[directory] == nil {
                directories[directory] = .some([name])
            }
        }
        func parent(of path: String) -> String {
            let parent = PathText.deletingLastComponent(path)
            return parent.isEmpty ? "." : parent
        }
        func isDirectory(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        for path in paths + extraFiles where path != "-" {
            if isDirectory(path), !extraFiles.contains(path) {
                add(path, counting: nil)
                for directory in ManifestInput.directories(under: path) { add(directory, counting: nil) }
                // A manifest directory replaced or removed as a whole shows in its parent; only
                // events naming it count there.
                if isDirectory(parent(of: path)) { add(parent(of: path), counting: (path as NSString).lastPathComponent) }
            } else {
                // A file (or one not there yet) is watched through its directory: editors and
                // deploy tools replace files by renaming. Only events naming it count there: the
                // daemon's own log written beside a manifest file woke the loop on every heal.
                guard isDirectory(parent(of: path)) else { return nil }
                add(parent(of: path), counting: (path as NSString).lastPathComponent)
                // A file that is a relative symbolic link into its own directory is changed by
                // swapping what the link goes through (a Kubernetes ConfigMap or Secret volume:
                // `estate.yaml -> ..data/estate.yaml`, and `..data` is replaced): that name
                // counts too.
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path), !target.hasPrefix("/"),
                   let first = target.split(separator: "/").first, first != "..", first != "." {
                    add(parent(of: path), counting: String(first))
                }
            }
        }
        return directories
    }

    deinit {
        if case .running(let watch) = instance.withLock({ $0 }) { watch.stop() }
    }
}
