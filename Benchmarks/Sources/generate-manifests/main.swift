import BallastTesting
import Foundation

// generate-manifests RESOURCES OUT.yaml [--sites N] [--latency-ms N]
// generate-manifests RESOURCES OUT-DIRECTORY --tree FILES [--sites N]
// Writes a deterministic Ballast estate: the same arguments always give the same bytes. With
// --tree, a repository-shaped tree (ManifestCorpus.generateTree): sites.yaml and FILES files in
// one folder per team, documents with comments, flow maps and multi-line strings.
func option(_ name: String, in arguments: inout [String], default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return value }
    arguments.removeSubrange(index...(index + 1))
    return number
}

var arguments = Array(CommandLine.arguments.dropFirst())
let sites = option("--sites", in: &arguments, default: 6)
let latency = option("--latency-ms", in: &arguments, default: 0)
let tree = option("--tree", in: &arguments, default: 0)
guard arguments.count == 2, let resources = Int(arguments[0]), resources >= 0 else {
    FileHandle.standardError.write(Data("usage: generate-manifests RESOURCES OUT.yaml [--sites N] [--latency-ms N]\n".utf8))
    exit(64)
}
if tree > 0, arguments.count == 2, let resources = Int(arguments[0]) {
    let root = arguments[1]
    var bytes = 0
    let files = ManifestCorpus.generateTree(resources: resources, files: tree, sites: sites == 6 ? 17 : sites)
    for (path, text) in files {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(text.utf8)) else {
            FileHandle.standardError.write(Data("generate-manifests: cannot write \(full)\n".utf8))
            exit(1)
        }
        bytes += text.utf8.count
    }
    print("wrote \(resources) resources in \(files.count) files (\(bytes) bytes) under \(root)")
    exit(0)
}
let text = ManifestCorpus.generate(resources: resources, sites: sites, latencyMs: latency)
guard FileManager.default.createFile(atPath: arguments[1], contents: Data(text.utf8)) else {
    FileHandle.standardError.write(Data("generate-manifests: cannot write \(arguments[1])\n".utf8))
    exit(1)
}
print("wrote \(resources) resources on \(sites) sites (\(text.utf8.count) bytes) to \(arguments[1])")
