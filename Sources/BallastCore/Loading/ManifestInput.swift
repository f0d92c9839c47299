import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One source of manifest text: a file, or standard input.
public struct ManifestInput: Sendable {
    /// The path shown in diagnostics (`<stdin>` for standard input).
    public var path: String
    public var bytes: [UInt8]
    /// Read once and gone: standard input, or a stream named on the command line (the shell's
    /// `<(…)`, a named pipe). It is no file to record, nor a directory to resolve relative
    /// references against (those resolve against the working directory, as for standard input).
    public var isStream: Bool
    /// The file's absolute path with links resolved (``ManifestScope/canonical(_:in:)``), when
    /// gathered from the command line: what the inventory records, and what makes a file given
    /// twice (`estate` and `./estate/a.yaml`, or a link to it) one input.
    public var canonicalPath: String?

    public init(path: String, bytes: [UInt8], isStream: Bool = false, canonicalPath: String? = nil) {
        self.path = path
        self.bytes = bytes
        self.isStream = isStream
        self.canonicalPath = canonicalPath
    }

    /// Expands command-line paths: files as given, directories recursively (`*.yaml`, `*.yml`,
    /// sorted by path), and `-` for standard input (read once, through `readStandardInput`).
    ///
    /// Inputs larger than `limit` bytes are reported, and read no further.
    public static func gather(_ paths: [String], readStandardInput: () -> [UInt8], limit: Int = YAMLLimits.default.maxInputBytes, diagnostics: inout [Diagnostic]) -> [ManifestInput] {
        var inputs: [ManifestInput] = []
        var seen = Set<String>()
        // Files are listed first, then read on every core: a thousand small files cost a
        // thousand opens and reads, which one thread would do one after another.
        var listed: [(index: Int, path: String, named: Bool)] = []
        let fileManager = FileManager.default
        for path in paths {
            if path == "-" {
                if seen.insert("-").inserted { inputs.append(ManifestInput(path: "<stdin>", bytes: readStandardInput(), isStream: true)) }
                continue
            }
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("\(path): no such file or directory", at: nil))
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                let walk = ManifestDirectoryWalk(path)
                files = walk.files
                for (directory, reason) in walk.unreadable {
                    diagnostics.append(.error("\(directory): cannot be read: \(reason); the manifests in it would read as removed", at: nil))
                }
                for name in walk.undecodableNames {
                    diagnostics.append(.error("\(name): the name is not UTF-8 text, so it cannot be read; rename it", at: nil))
                }
                for link in walk.linkedDirectories {
                    diagnostics.append(.warning("\(link): a link to a directory, not followed; name the directory itself to read the manifests in it", at: nil))
                }
                if files.isEmpty && walk.unreadable.isEmpty && walk.undecodableNames.isEmpty {
                    let hidden = walk.hiddenManifests > 0 ? " (only hidden ones, whose names start with '.': name such a file to read it)" : ""
                    diagnostics.append(.error("\(path): no *.yaml or *.yml files in this directory\(hidden)", at: nil))
                }
            } else {
                files = [path]
            }
            for file in files {
                // The same file named twice (through `./`, an absolute path, a link) is read once.
                let isStream = !isDirectory.boolValue && FileContents.isStream(file)
                let canonical = isStream ? nil : ManifestScope.canonical(file)
                guard seen.insert(canonical ?? file).inserted else { continue }
                listed.append((inputs.count, file, !isDirectory.boolValue))
                inputs.append(ManifestInput(path: file, bytes: [], isStream: isStream, canonicalPath: canonical))
            }
        }
        let read = UnsafeMutableBufferPointer<Result<[UInt8], FileContents.Failure>?>.allocate(capacity: listed.count)
        read.initialize(repeating: nil)
        defer {
            read.deinitialize()
            read.deallocate()
        }
        nonisolated(unsafe) let slots = read
        let files = listed
        ParallelSlices.each(files.count, workers: listed.count >= 16 ? System.activeProcessorCount : 1) { slot in
            // A path named on the command line may be a stream (`<(…)`); a directory's files
            // must be regular files: a named pipe there would block the run, /dev/zero read empty.
            slots[slot] = FileContents.read(files[slot].path, streams: files[slot].named, limit: limit)
        }
        var unreadable = Set<Int>()
        for (slot, entry) in listed.enumerated() {
            switch read[slot]! {
            case .success(let bytes):
                inputs[entry.index].bytes = bytes
            case .failure(let failure):
                diagnostics.append(.error("\(entry.path): cannot be read: \(failure)", at: nil))
                unreadable.insert(entry.index)
            }
            read[slot] = nil
        }
        if !unreadable.isEmpty { inputs = inputs.enumerated().filter { !unreadable.contains($0.offset) }.map(\.element) }
        return inputs
    }

    /// The bytes of a regular file (a file a spec or a secret names), or nil when it cannot be
    /// read: see ``FileContents/read(_:streams:limit:)`` for why.
    static func readFile(_ path: String, limit: Int = YAMLLimits.default.maxInputBytes) -> [UInt8]? {
        try? FileContents.read(path, limit: limit).get()
    }

    /// Every directory under `directory` (not itself), as ``yamlFiles(under:)`` walks them:
    /// where watch mode looks for changes.
    public static func directories(under directory: String) -> [String] {
        ManifestDirectoryWalk(directory).directories
    }

    /// The manifest files under `directory` (``ManifestDirectoryWalk/files``).
    static func yamlFiles(under directory: String) -> [String] {
        ManifestDirectoryWalk(directory).files
    }
}
