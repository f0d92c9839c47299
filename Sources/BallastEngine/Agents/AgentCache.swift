import BallastCore
import Foundation
import Synchronization

/// An edge agent's copy of its site's desired state, the last one it accepted from the hub:
/// what it reconciles, offline and after a restart with no hub in sight.
///
/// Kept in its own directory, readable by its owner only (it holds the site's secrets):
/// `current.json` (generation, digest, documents, secret values) and the manifests file
/// `DIGEST.yaml` the watch loop loads. Both are written to a temporary file, flushed and renamed,
/// so a crash leaves the old copy or the new one, never half of one.
public final class AgentCache: Sendable {
    /// One accepted desired state.
    public struct Entry: Sendable, Hashable {
        public var generation: Int64
        public var digest: String
        public var sourceRevision: String?
        /// The site and resource documents, as the hub sent them.
        public var documents: [Value]
        /// The values of the documents' secret references, keyed as written (`${env:NAME}`).
        public var secrets: [String: String]
        public var receivedAt: Date

        public init(generation: Int64, digest: String, sourceRevision: String?, documents: [Value], secrets: [String: String], receivedAt: Date) {
            self.generation = generation
            self.digest = digest
            self.sourceRevision = sourceRevision
            self.documents = documents
            self.secrets = secrets
            self.receivedAt = receivedAt
        }

        /// The documents as one YAML file: JSON flow documents, one per `---`.
        public var manifests: String {
            documents.map { "---\n" + JSONText.string($0) + "\n" }.joined()
        }
    }

    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "the agent's copy of its desired state \(path) cannot be read (\(reason)); move it aside to start over from the hub" }
    }

    public let directory: String
    private let current: Mutex<Entry?>

    /// Opens the cache in `directory`, creating it. Throws when a copy exists but cannot be
    /// read: the agent must not take a damaged copy for an empty desired state.
    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory + "/current.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            current = Mutex(nil)
            return
        }
        guard let entry = Self.decode(data) else { throw Unreadable(path: path, reason: "not a desired state this agent wrote") }
        guard FileManager.default.fileExists(atPath: directory + "/" + entry.digest + ".yaml") else {
            throw Unreadable(path: path, reason: "its manifests file \(entry.digest).yaml is missing")
        }
        current = Mutex(entry)
    }

    /// The desired state in the cache, if any.
    public var entry: Entry? { current.withLock { $0 } }

    /// The manifests file of the desired state with `digest`.
    public func manifestsPath(digest: String) -> String { directory + "/" + digest + ".yaml" }

    /// Keeps `entry` as the desired state: its manifests file first, then `current.json`, each
    /// atomically. Older manifests files are removed, but for the one replaced (the watch loop
    /// may be loading it).
    public func store(_ entry: Entry) throws {
        let previous = self.entry
        try AtomicFile.write(Data(entry.manifests.utf8), to: manifestsPath(digest: entry.digest))
        try AtomicFile.write(Data(Self.encode(entry).utf8), to: directory + "/current.json")
        current.withLock { $0 = entry }
        let keep = Set([entry.digest, previous?.digest].compactMap { $0 }.map { $0 + ".yaml" })
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".yaml") && !keep.contains(file) {
            try? FileManager.default.removeItem(atPath: directory + "/" + file)
        }
    }

    static func encode(_ entry: Entry) -> String {
        var fields = Fields([
            "generation": .int(Int(entry.generation)), "digest": .string(entry.digest), "documents": .list(entry.documents),
            "secrets": .map(Fields(entry.secrets.map { ($0.key, Value.string($0.value)) })),
            "receivedAt": .string(Timestamp.string(entry.receivedAt, fractionalSeconds: true)),
        ])
        if let revision = entry.sourceRevision { fields["sourceRevision"] = .string(revision) }
        return JSONText.string(.map(fields))
    }

    static func decode(_ data: Data) -> Entry? {
        guard case .map(let fields)? = try? JSONValueParser.parse(String(decoding: data, as: UTF8.self)),
              let generation = fields["generation"]?.intValue, let digest = fields["digest"]?.stringValue, SpecDigest.bytes(hex: digest)?.count == 32,
              case .list(let documents)? = fields["documents"], case .map(let secretFields)? = fields["secrets"],
              let received = fields["receivedAt"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
        var secrets: [String: String] = [:]
        for (key, value) in secretFields.map({ ($0.key, $0.value) }) {
            guard let text = value.stringValue else { return nil }
            secrets[key] = text
        }
        return Entry(
            generation: Int64(generation), digest: digest, sourceRevision: fields["sourceRevision"]?.stringValue, documents: documents, secrets: secrets,
            receivedAt: received)
    }
}
