import Foundation
import Synchronization

/// The manifest paths a run was given, and what that says about a managed resource no manifest
/// declares.
///
/// `ballast apply team-a.yaml` reads only that file: a resource applied from `team-b.yaml`
/// is then not declared, and would be pruned, although nobody removed it; `kubectl apply -f`
/// users expect the other file to be left alone. The inventory records the manifest each
/// resource was last applied from (``InventoryEntry/manifest``); when that file still exists
/// and lies outside every path given, the resource was not removed, its file was only left
/// out, and ``DeletionRule`` keeps it (``DeletionRule/Hold/manifestNotGiven(_:)``). A file
/// that was read (given, or inside a given directory: emptied, renamed to `.bak` there) is a
/// removal, and so is one gone from a directory that was read; one gone from a directory that
/// was not read may have been renamed or moved to a file not given, and is kept too
/// (``notGiven(_:exists:)`` has the whole rule).
///
/// Paths are compared after resolving symbolic links, so a tree given through a link and
/// directly is the same tree. Runs reading a git source have no scope: each commit is checked
/// out in a directory of its own, and what the commit removed is the removal.
public struct ManifestScope: Sendable {
    /// A tree of manifests that is read from another place now than when it was recorded: a
    /// repository moved or cloned again, another CI runner's checkout, another machine sharing
    /// a PostgreSQL state.
    public struct Relocation: Sendable, Hashable {
        /// Where the files were recorded, canonical.
        public var from: String
        /// Where the same files are read now, canonical.
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// Why a resource no manifest read declares may still be declared, and is kept.
    public enum LeftOut: Sendable, Hashable {
        /// Its file (where it was recorded, or the same file where the tree is now) exists,
        /// outside the paths read.
        case fileNotGiven(String)
        /// A file that was not given declares it now (its file renamed, split or moved there, or
        /// its document moved out of a file given), found by reading the files beside the ones
        /// given.
        case declaredInFileNotGiven(String)
        /// A file under a directory given declares it, but under a hidden name
        /// (``ManifestDirectoryWalk/isHidden(_:)``), which the directory's walk passes over: an
        /// older Ballast read such files, and a git source's whole repository has them
        /// (``HiddenDeclarations``).
        case declaredInHiddenFile(String)
        /// Its file is gone, and the directory it was in was not read (the run named files, not
        /// that directory): the file may have been renamed, split or moved to a file not given.
        /// `directoryExists` is false when that directory is gone too (a removed checkout, or
        /// one on another machine): giving it is no way out then.
        case goneFromDirectoryNotGiven(file: String, directory: String, directoryExists: Bool)
    }

    /// The given paths, absolute, with links resolved.
    public private(set) var roots: [String]
    /// Where relative paths were given from, canonical: a file under it is named relative to it.
    public private(set) var workingDirectory: String
    /// Where recorded files that are gone may be now (``learnRelocations(_:)``).
    public private(set) var relocations: [Relocation] = []
    /// The directories the given paths are in (a directory given, or a file's directory),
    /// canonical, sorted: where the checkout in hand is.
    public private(set) var checkoutDirectories: [String]
    /// The manifest files under each of ``checkoutDirectories`` that were not given, listed
    /// once each (``unreadManifests(under:)``).
    private let unread = UnreadManifests()

    private final class UnreadManifests: Sendable {
        let lists = Mutex<[String: [String]?]>([:])
    }

    /// The paths as given on the command line (relative to `workingDirectory`); `-` (standard
    /// input) is no path.
    public init(paths: [String], workingDirectory: String = FileManager.default.currentDirectoryPath) {
        roots = paths.filter { $0 != "-" }.map { Self.canonical($0, in: workingDirectory) }
        self.workingDirectory = Self.canonical(".", in: workingDirectory)
        checkoutDirectories = Set(roots.map { root in
            var status = stat()
            return stat(root, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR ? root : PathText.deletingLastComponent(root)
        }).sorted()
    }

    /// The scope of a run reading `paths`; nil (nothing checked) for a git source, or when no
    /// path was given (manifests from elsewhere).
    public static func forRun(paths: [String], fromGit: Bool) -> ManifestScope? {
        fromGit || paths.isEmpty ? nil : ManifestScope(paths: paths)
    }

    /// What the inventory records as the manifest of `resource` applied in a run: its file, or,
    /// when the run cannot name one (standard input; a git source, whose checkout of a commit
    /// says nothing about later runs), the file recorded before (`previous`). A run that does not
    /// know where a document came from never erases what an earlier run knew: `cat *.yaml |
    /// ballast apply -` followed by `ballast apply team-a.yaml` must still keep team-b's resources.
    public static func recorded(_ resource: DesiredResource, fromGit: Bool, previous: String?) -> String? {
        (fromGit ? nil : resource.manifest) ?? previous
    }

    /// Whether `manifest` (a canonical path) is one of the given files or inside a given
    /// directory. (Under a hidden name there too: a directory's walk passes over those names,
    /// but reads a file through a link whose real path has one — a Kubernetes volume's
    /// `estate.yaml -> ..data/estate.yaml` — and a resource a hidden file still declares is kept
    /// by ``HiddenDeclarations``, which asks the files themselves.)
    public func covers(_ manifest: String) -> Bool {
        roots.contains { PathText.isWithin(manifest, $0) }
    }

    /// Why a resource no manifest read declares, recorded as applied from `manifest`, is not
    /// taken for removed; nil when it is a removal (or nothing was recorded). Files are named
    /// relative to the working directory when they are under it.
    ///
    /// - A file that still exists outside the paths read was left out, not emptied.
    /// - A file that is gone may only have moved with its tree (the repository moved or cloned
    ///   again, another CI runner's checkout, another machine sharing the state): when the same
    ///   file exists where the declared resources say the tree went (``learnRelocations(_:)``),
    ///   outside the paths read, it is that file that was left out. (Elsewhere in the checkout
    ///   in hand, the engine finds it by its documents: `MovedDocuments`.)
    /// - A file that is gone is a removal only where its directory was read (a directory given
    ///   holds it, or the same file where the tree is now): a run that named files cannot tell
    ///   a deleted file from one renamed, split or moved to a file it did not read.
    ///
    /// A recorded file that still exists is judged where it is, whatever moved: an old clone
    /// that still declares a resource keeps it.
    public func notGiven(_ manifest: String?, exists: (String) -> Bool = ManifestScope.isPresent) -> LeftOut? {
        guard let manifest else { return nil }
        if exists(manifest) { return covers(manifest) ? nil : .fileNotGiven(named(manifest)) }
        if let moved = relocated(manifest).first(where: { !covers($0) && exists($0) }) { return .fileNotGiven(named(moved)) }
        // A removal only where it was, or where its whole tree went, was read.
        if placesItWouldBe(manifest).contains(where: { covers($0) || wasReadWhole($0) }) { return nil }
        // Named where the tree is now when it is known to have moved, else as recorded.
        let shown = placesItWouldBe(manifest).last ?? manifest
        let directory = PathText.deletingLastComponent(shown)
        return .goneFromDirectoryNotGiven(file: named(shown), directory: named(directory), directoryExists: Self.isDirectory(directory))
    }

    /// Whether every manifest file under `directory` (one of the directories of the files
    /// given) was given, one by one: `ballast apply estate/*.yaml`, a shell glob, reads the
    /// directory as surely as `ballast apply estate` does, so a file gone from it is a removal.
    public func isGivenInFull(_ directory: String) -> Bool {
        unreadManifests(under: directory)?.isEmpty ?? false
    }

    /// The manifest files under `directory` (one of ``checkoutDirectories``) that were not
    /// given, hidden ones too (a document may have been moved to one): where a file gone from
    /// it may have gone. Nil when they cannot all be known: not
    /// such a directory, something under it that cannot be read or is a link to a directory,
    /// or a tree too large to look through at once (more than 100,000 entries).
    public func unreadManifests(under directory: String) -> [String]? {
        guard checkoutDirectories.contains(directory) else { return nil }
        if let known = unread.lists.withLock({ $0[directory] }) { return known }
        let walk = ManifestDirectoryWalk(directory, limit: 100_000, includesHidden: true)
        let complete = !walk.isTruncated && walk.unreadable.isEmpty && walk.undecodableNames.isEmpty && walk.linkedDirectories.isEmpty
        let list = complete ? walk.files.filter { !covers(Self.canonical($0)) } : nil
        unread.lists.withLock { $0[directory] = .some(list) }
        return list
    }

    /// Whether the run read everything beside `path`, so that a document that left it could
    /// only have gone to a file that was read: it lies in a directory given, or in one whose
    /// every manifest file was given (``isGivenInFull(_:)``).
    public func wasReadWhole(_ path: String) -> Bool {
        checkoutDirectories.contains { directory in
            PathText.isWithin(path, directory) && (roots.contains(directory) || isGivenInFull(directory))
        }
    }

    /// The deepest of ``checkoutDirectories`` that `path` lies in.
    public func checkoutDirectory(holding path: String) -> String? {
        checkoutDirectories.filter { PathText.isWithin(path, $0) }.max { $0.count < $1.count }
    }

    /// Where a recorded file that is gone would be if it still existed, as far as is known
    /// rather than guessed: where it was recorded, and where a learned relocation puts it when
    /// the tree it was recorded in is gone from this machine (the checkout moved, or was another
    /// machine's). A relocation whose old tree still exists may come from one document moved
    /// between directories, and says nothing of the others.
    public func placesItWouldBe(_ manifest: String) -> [String] {
        [manifest] + relocated(manifest, onlyFromTreesGone: true)
    }

    /// Where learned relocations put `manifest`, longest first; with `onlyFromTreesGone`, only
    /// those whose old tree is gone from this machine.
    private func relocated(_ manifest: String, onlyFromTreesGone: Bool = false) -> [String] {
        relocations.filter { PathText.isWithin(manifest, $0.from) && !(onlyFromTreesGone && Self.isDirectory($0.from)) }
            .map { $0.to + manifest.dropFirst($0.from.count) }
    }

    /// Whether `path` is a directory (or may be one: it cannot be looked at).
    public static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 ? (status.st_mode & S_IFMT) == S_IFDIR : errno != ENOENT && errno != ENOTDIR
    }

    /// Learns where trees moved from the resources this run declares: one recorded at
    /// `/old/infra/estate/team-a.yaml` and read now from `/new/infra/estate/team-a.yaml` says
    /// that what was recorded under `/old` is under `/new` now (the path after the place where
    /// the two differ is the same). Without it, `ballast apply estate/team-a.yaml` in a
    /// repository moved, cloned again, or checked out on another machine sharing the state,
    /// finds team-b's recorded file gone and takes it for removed, although the checkout in
    /// hand still has it. Pairs whose file names differ say nothing and are skipped.
    public mutating func learnRelocations(_ pairs: some Sequence<(recorded: String, current: String)>) {
        var learned = Set(relocations)
        for (recorded, current) in pairs where recorded != current {
            let old = recorded.split(separator: "/", omittingEmptySubsequences: true)
            let new = current.split(separator: "/", omittingEmptySubsequences: true)
            var common = 0
            // At least one component is left of each: neither tree is moved from or to `/`.
            while common < min(old.count, new.count) - 1, old[old.count - 1 - common] == new[new.count - 1 - common] { common += 1 }
            guard common > 0 else { continue }
            learned.insert(Relocation(from: "/" + old.dropLast(common).joined(separator: "/"), to: "/" + new.dropLast(common).joined(separator: "/")))
        }
        relocations = learned.sorted { ($0.from.count, $0.from, $0.to) > ($1.from.count, $1.from, $1.to) }
    }

    /// `manifest` as errors name it: relative to the working directory when it is under it.
    public func named(_ manifest: String) -> String {
        guard manifest != workingDirectory, PathText.isWithin(manifest, workingDirectory) else { return manifest }
        return String(manifest.dropFirst(workingDirectory.hasSuffix("/") ? workingDirectory.count : workingDirectory.count + 1))
    }

    /// `path` made absolute against `directory`, with `.`, `..` and symbolic links resolved
    /// as far as it exists (the rest is kept as written).
    public static func canonical(_ path: String, in directory: String = FileManager.default.currentDirectoryPath) -> String {
        let absolute = path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
        guard let resolved = realpath(absolute, nil) else { return URL(fileURLWithPath: absolute).standardized.path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the file may still be at `path`: a regular file (or a link to one) is, and so is
    /// whatever cannot be looked at (permission denied, a link loop, an I/O error): only a
    /// path that is certainly gone (nothing there, or no longer a file) counts as a removal.
    public static func isPresent(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno != ENOENT && errno != ENOTDIR }
        return (status.st_mode & S_IFMT) == S_IFREG
    }
}
