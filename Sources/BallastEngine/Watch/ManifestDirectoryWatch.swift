import BallastCore
import Foundation
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
    /// others.
    func arm(paths: [String], extraFiles: [String]) -> Armed {
        guard let directories = Self.directories(paths: paths, extraFiles: extraFiles), let watch = started() else { return .unavailable }
        let before = watch.watched
        for stale in before.subtracting(directories) { watch.unwatch(stale) }
        // Watching again renews a watch on the directory a path names now (one replaced by a rename).
        guard directories.allSatisfy({ watch.watch($0) }) else { return .unavailable }
        return .watching(added: !directories.isSubset(of: before))
    }

    private func started() -> InotifyWatch? {
        instance.withLock { instance in
            switch instance {
            case .running(let watch): return watch
            case .unavailable: return nil
            case .notStarted:
                let changed = self.changed
                guard let watch = InotifyWatch(onEvents: { _ in changed.signal() }) else {
                    instance = .unavailable
                    return nil
                }
                instance = .running(watch)
                return watch
            }
        }
    }

    /// The directories to watch; nil when one that must be watched does not exist.
    static func directories(paths: [String], extraFiles: [String]) -> Set<String>? {
        var directories = Set<String>()
        func parent(of path: String) -> String {
            let parent = (path as NSString).deletingLastPathComponent
            return parent.isEmpty ? "." : parent
        }
        func isDirectory(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        for path in paths + extraFiles where path != "-" {
            if isDirectory(path), !extraFiles.contains(path) {
                directories.insert(path)
                directories.formUnion(ManifestInput.directories(under: path))
                // A manifest directory replaced or removed as a whole shows in its parent.
                if isDirectory(parent(of: path)) { directories.insert(parent(of: path)) }
            } else {
                // A file (or one not there yet) is watched through its directory: editors and
                // deploy tools replace files by renaming.
                guard isDirectory(parent(of: path)) else { return nil }
                directories.insert(parent(of: path))
            }
        }
        return directories
    }

    deinit {
        if case .running(let watch) = instance.withLock({ $0 }) { watch.stop() }
    }
}
