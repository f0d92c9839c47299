import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the manifest files look like on disk without reading them: each file's size, inode
/// and modification time. Two equal fingerprints mean there is nothing new to load; watch mode
/// compares one every poll interval (stat calls only, so polling costs next to nothing).
public struct ManifestFingerprint: Sendable, Hashable {
    public struct Stamp: Sendable, Hashable {
        public var size: Int64
        public var inode: UInt64
        public var modified: Int64
    }

    /// By file path; paths that do not exist map to nil.
    public private(set) var files: [String: Stamp?]
    /// The revision of a versioned source (a git commit), whose files never change once
    /// checked out; nil for a directory.
    public private(set) var revision: SourceRevision?

    /// Fingerprints the files `ManifestInput.gather` would read for `paths` (stdin excluded),
    /// and `extraFiles` (the files secrets are read from).
    public init(_ paths: [String], extraFiles: [String] = []) {
        var files: [String: Stamp?] = [:]
        for path in paths where path != "-" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                files[path] = .some(nil)
                continue
            }
            for file in isDirectory.boolValue ? ManifestInput.yamlFiles(under: path) : [path] {
                files[file] = Self.stamp(file)
            }
        }
        for file in extraFiles { files[file] = Self.stamp(file) }
        self.files = files
    }

    /// A revision of a versioned source, and `extraFiles` (read by secrets from outside it).
    public init(revision: SourceRevision, extraFiles: [String] = []) {
        var files: [String: Stamp?] = [:]
        for file in extraFiles { files[file] = Self.stamp(file) }
        self.files = files
        self.revision = revision
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Stamp(size: Int64(info.st_size), inode: UInt64(info.st_ino), modified: modified)
    }
}
