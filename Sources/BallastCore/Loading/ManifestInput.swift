import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One source of manifest text: a file, or standard input.
public struct ManifestInput: Sendable {
    /// The path shown in diagnostics (`<stdin>` for standard input).
    public var path: String
    public var bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Expands command-line paths: files as given, directories recursively (`*.yaml`, `*.yml`,
    /// sorted by path), and `-` for standard input (read once, through `readStandardInput`).
    public static func gather(_ paths: [String], readStandardInput: () -> [UInt8], diagnostics: inout [Diagnostic]) -> [ManifestInput] {
        var inputs: [ManifestInput] = []
        var seen = Set<String>()
        // Files are listed first, then read on every core: a thousand small files cost a
        // thousand opens and reads, which one thread would do one after another.
        var listed: [(index: Int, path: String)] = []
        let fileManager = FileManager.default
        for path in paths {
            if path == "-" {
                if seen.insert("-").inserted { inputs.append(ManifestInput(path: "<stdin>", bytes: readStandardInput())) }
                continue
            }
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("\(path): no such file or directory", at: nil))
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                files = yamlFiles(under: path)
                if files.isEmpty { diagnostics.append(.error("\(path): no *.yaml or *.yml files in this directory", at: nil)) }
            } else {
                files = [path]
            }
            for file in files where seen.insert(file).inserted {
                listed.append((inputs.count, file))
                inputs.append(ManifestInput(path: file, bytes: []))
            }
        }
        let read = UnsafeMutableBufferPointer<[UInt8]?>.allocate(capacity: listed.count)
        read.initialize(repeating: nil)
        defer {
            read.deinitialize()
            read.deallocate()
        }
        nonisolated(unsafe) let slots = read
        let files = listed.map(\.path)
        ParallelSlices.each(files.count, workers: listed.count >= 16 ? System.activeProcessorCount : 1) { slot in
            slots[slot] = readFile(files[slot])
        }
        var unreadable = Set<Int>()
        for (slot, entry) in listed.enumerated() {
            guard let bytes = read[slot] else {
                diagnostics.append(.error("\(entry.path): cannot be read", at: nil))
                unreadable.insert(entry.index)
                continue
            }
            read[slot] = nil
            inputs[entry.index].bytes = bytes
        }
        if !unreadable.isEmpty { inputs = inputs.enumerated().filter { !unreadable.contains($0.offset) }.map(\.element) }
        return inputs
    }

    /// Reads a whole file straight into bytes (no intermediate `Data` copy).
    static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        // Read into uninitialised storage: zero-filling 35 MB first would cost as much again.
        return [UInt8](unsafeUninitializedCapacity: Int(info.st_size)) { buffer, initialized in
            var done = 0
            while done < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                done += count
            }
            initialized = done
        }
    }

    /// Every directory under `directory` (not itself), as ``yamlFiles(under:)`` walks them:
    /// where watch mode looks for changes.
    public static func directories(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var directories: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory else { continue }
            directories.append(directory.hasSuffix("/") ? directory + relative : directory + "/" + relative)
        }
        return directories.sorted()
    }

    static func yamlFiles(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            let full = directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }
}
