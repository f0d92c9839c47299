#if canImport(Glibc)
import Glibc
#endif

/// What is under a manifest directory: its `*.yaml` and `*.yml` files, its directories, and
/// what could not be looked into.
///
/// A directory that cannot be read is reported, never passed over: its manifests' resources
/// would read as removed, and be pruned. (Foundation's directory enumerator skipped one it
/// could not open without a word.) Links to directories are not followed, as before; each is
/// named, so that a link someone expected to be read is not a silent no-op.
///
/// Names that start with `.` are not looked at (``isHidden(_:)``): a repository's `.git`,
/// `.github/workflows/*.yaml`, `.gitlab-ci.yml`, `.pre-commit-config.yaml`, a state directory
/// `.ballast` kept beside the manifests, an editor's `.#name.yaml` lock, a Kubernetes volume's
/// `..data`. A shell's `*.yaml` leaves them out too, and Flux's source-controller ignores its
/// version-control and CI files the same way. A hidden file or directory named on the command
/// line is read.
public struct ManifestDirectoryWalk: Sendable {
    /// Every `*.yaml` and `*.yml` entry that is not a directory, whatever it is, so that one that
    /// cannot be read (a named pipe, a link to nothing) is reported when read rather than left
    /// out; hidden ones are the exception. Sorted.
    public private(set) var files: [String] = []
    /// Every directory under the walked one (not itself), sorted: where watch mode looks.
    public private(set) var directories: [String] = []
    /// Directories that could not be read, with why.
    public private(set) var unreadable: [(path: String, reason: String)] = []
    /// Links to directories, not followed. Sorted.
    public private(set) var linkedDirectories: [String] = []
    /// Manifest files and directories whose names are not UTF-8 (shown with U+FFFD for the
    /// bytes that are not): they cannot be named as text, so cannot be read, and are reported.
    /// Sorted.
    public private(set) var undecodableNames: [String] = []

    /// How many hidden `*.yaml` and `*.yml` files were passed over (when not ``includesHidden``),
    /// counting only those in directories that were looked into.
    public private(set) var hiddenManifests = 0

    /// Whether the walk stopped at its `limit` of entries, short of the whole tree.
    public private(set) var isTruncated = false

    /// - Parameter limit: the most directory entries looked at; past it the walk stops and says
    ///   so (``isTruncated``). For a look around that must stay cheap wherever it lands.
    /// - Parameter includesHidden: whether names starting with `.` are looked at too: for a
    ///   search of everything a document may have been moved to, not for what a run reads.
    ///   A `.git` is never looked into: git's own files are no manifests, and many.
    public init(_ directory: String, limit: Int = .max, includesHidden: Bool = false) {
        var pending = [directory]
        var seen = 0
        while let current = pending.popLast() {
            guard seen < limit else {
                isTruncated = true
                break
            }
            guard let handle = opendir(current) else {
                unreadable.append((current, FileContents.reason(errno: errno)))
                continue
            }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let (name, decodable) = withUnsafePointer(to: entry.pointee.d_name) {
                    let characters = UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)
                    return (String(cString: characters), String(validatingCString: characters) != nil)
                }
                if name == "." || name == ".." { continue }
                seen += 1
                if !includesHidden || name == ".git", Self.isHidden(name) {
                    if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { hiddenManifests += 1 }
                    continue
                }
                let full = current.hasSuffix("/") ? current + name : current + "/" + name
                var type = Int32(entry.pointee.d_type)
                if type == Int32(DT_UNKNOWN) {
                    // Some file systems do not say: ask.
                    var info = stat()
                    guard lstat(full, &info) == 0 else { continue }
                    type = info.st_mode & S_IFMT == S_IFDIR ? Int32(DT_DIR) : info.st_mode & S_IFMT == S_IFLNK ? Int32(DT_LNK) : Int32(DT_REG)
                }
                let isManifestName = (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".#")
                guard decodable else {
                    if isManifestName || type == Int32(DT_DIR) { undecodableNames.append(full) }
                    continue
                }
                if type == Int32(DT_DIR) {
                    directories.append(full)
                    pending.append(full)
                } else if type == Int32(DT_LNK) {
                    var target = stat()
                    if stat(full, &target) == 0, target.st_mode & S_IFMT == S_IFDIR {
                        linkedDirectories.append(full)
                    } else if isManifestName {
                        files.append(full)
                    }
                } else if isManifestName {
                    files.append(full)
                }
            }
        }
        files.sort()
        directories.sort()
        linkedDirectories.sort()
        undecodableNames.sort()
        unreadable.sort { $0.path < $1.path }
    }

    /// Whether a directory entry's name is hidden from walks: it starts with `.`.
    public static func isHidden(_ name: some StringProtocol) -> Bool {
        name.hasPrefix(".")
    }

    /// Whether a walk of `directory` passes over `path` (a path under it): a component after
    /// `directory` is hidden.
    public static func passesOver(_ path: String, walking directory: String) -> Bool {
        guard path != directory, PathText.isWithin(path, directory) else { return false }
        return path.dropFirst(directory.count).split(separator: "/").contains { isHidden($0) }
    }
}
