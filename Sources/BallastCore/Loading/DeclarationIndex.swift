/// Which resources a set of manifest files declares, by kind, name and site, read without
/// validating them (files not given to a run, where a document may have moved).
///
/// Only Ballast documents count (`apiVersion: ballast.dev/v1`): a Kubernetes manifest or a CI
/// workflow beside them declares nothing. A file that cannot be read, or that fails to parse
/// and mentions `ballast.dev/`, may declare anything; the caller that must not take a resource
/// for removed while such a file may declare it checks ``unreadable``.
public struct DeclarationIndex: Sendable {
    private struct Declared: Sendable, Hashable {
        var kind: String
        var name: String
    }

    /// By kind and name: each file, and the site its document names (nil: placed by labels).
    private var declarations: [Declared: [(file: String, site: String?)]] = [:]
    /// Files that could not be read or parsed, sorted.
    public private(set) var unreadable: [String] = []

    public init(files: [String], yaml: YAMLLoader) {
        for (index, file) in files.sorted().enumerated() {
            guard case .success(let bytes) = FileContents.read(file, limit: yaml.parser.limits.maxInputBytes) else {
                unreadable.append(file)
                continue
            }
            let mentionsBallast = bytes.firstRange(of: Array("ballast.dev/".utf8)) != nil
            let (chunks, diagnostics) = yaml.loadChunks(bytes: bytes, file: UInt32(index)) { root, _ -> (String, String, String?)? in
                guard root["apiVersion"]?.value.stringValue == ManifestDecoder.apiVersion, let kind = root["kind"]?.value.stringValue,
                      let metadata = root["metadata"]?.value, let name = metadata["name"]?.value.stringValue else { return nil }
                return (kind, name, metadata["site"]?.value.stringValue)
            }
            if mentionsBallast, diagnostics.contains(where: { $0.severity == .error }) { unreadable.append(file) }
            for (kind, name, site) in chunks.joined() {
                declarations[Declared(kind: kind, name: name), default: []].append((file, site))
            }
        }
        unreadable.sort()
    }

    /// The first file (by path) with a document declaring `id`: its kind and name, on its site
    /// or placed by labels (which may put it there).
    public func file(declaring id: ResourceID) -> String? {
        declarations[Declared(kind: id.kind, name: id.name)]?.first { $0.site == nil || $0.site == id.site }?.file
    }
}
