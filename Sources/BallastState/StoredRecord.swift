import BallastCore
import Foundation

/// How the SQL backends store what ``StateStore`` holds: an inventory entry or a journal intent
/// as plain columns (text, numbers, JSON text), and back. One codec for every backend, so that
/// a value one writes the other reads the same (`state migrate` copies rows between them).
///
/// Reading is strict: a value this binary cannot read is an error, never a default (defaulting
/// `deletion` would turn an orphan into a delete).
public enum StoredRecord {
    /// A stored value that cannot be read back.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// One inventory row as stored, before its JSON columns are decoded.
    public struct Inventory: Sendable, Hashable {
        public var id: String, spec: String, specDigest: String, outputs: String, status: String, lastError: String?
        public var generation: Int, dependencies: String, preventDestroy: Bool, deletion: String, prune: Bool, createdAt: Double, updatedAt: Double
        public var standsInFor: String?
        /// The labels as a JSON object of strings.
        public var labels: String
        /// ``InventoryEntry/manifest``.
        public var manifest: String?

        /// The column names, in the order of the memberwise initialiser.
        public static let columns = ["id", "spec", "spec_digest", "outputs", "status", "last_error", "generation", "dependencies", "prevent_destroy", "deletion", "prune", "created_at", "updated_at", "stands_in_for", "labels", "manifest"]

        public init(
            id: String, spec: String, specDigest: String, outputs: String, status: String, lastError: String?, generation: Int, dependencies: String,
            preventDestroy: Bool, deletion: String, prune: Bool, createdAt: Double, updatedAt: Double, standsInFor: String? = nil, labels: String = "{}", manifest: String? = nil
        ) {
            self.id = id
            self.spec = spec
            self.specDigest = specDigest
            self.outputs = outputs
            self.status = status
            self.lastError = lastError
            self.generation = generation
            self.dependencies = dependencies
            self.preventDestroy = preventDestroy
            self.deletion = deletion
            self.prune = prune
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.standsInFor = standsInFor
            self.labels = labels
            self.manifest = manifest
        }

        public init(_ entry: InventoryEntry) {
            self.init(
                id: entry.id.description, spec: entry.$spec.json, specDigest: entry.specDigest, outputs: entry.$outputs.json,
                status: entry.status.rawValue, lastError: entry.lastError, generation: entry.generation,
                dependencies: JSONText.string(.list(entry.dependencies.map { .string($0.description) })),
                preventDestroy: entry.preventDestroy, deletion: entry.deletion.rawValue, prune: entry.prune,
                createdAt: entry.createdAt.timeIntervalSince1970, updatedAt: entry.updatedAt.timeIntervalSince1970, standsInFor: entry.standsInFor,
                labels: JSONText.string(.map(Fields(entry.labels.map { ($0.0, Value.string($0.1)) }))), manifest: entry.manifest)
        }

        public func entry() throws(Unreadable) -> InventoryEntry {
            var ids: [ResourceID] = []
            if case .list(let items) = try StoredRecord.json(dependencies, what: "\(id): dependencies") {
                ids = try items.compactMap(\.stringValue).map { text throws(Unreadable) in try StoredRecord.id(text) }
            }
            guard let status = InventoryEntry.Status(rawValue: status) else { throw Unreadable("\(id): unknown status '\(status)'") }
            guard let deletion = Policy.Deletion(rawValue: deletion) else { throw Unreadable("\(id): unknown deletion policy '\(deletion)'") }
            var labelPairs: [(String, String)] = []
            if case .map(let fields) = try StoredRecord.json(labels, what: "\(id): labels") {
                for field in fields {
                    guard let text = field.value.stringValue else { throw Unreadable("\(id): label '\(field.key)' is not text") }
                    labelPairs.append((field.key, text))
                }
            }
            return InventoryEntry(
                id: try StoredRecord.id(id), storedSpec: try StoredRecord.encodedFields(spec, what: "\(id): spec"), specDigest: specDigest,
                storedOutputs: try StoredRecord.encodedFields(outputs, what: "\(id): outputs"), status: status, lastError: lastError, generation: generation,
                dependencies: ids, preventDestroy: preventDestroy, deletion: deletion, prune: prune,
                createdAt: Date(timeIntervalSince1970: createdAt), updatedAt: Date(timeIntervalSince1970: updatedAt), standsInFor: standsInFor,
                labels: StringMap(labelPairs), manifest: manifest)
        }
    }

    /// A journal intent from its stored columns.
    public static func intent(sequence: Int64, runID: String, resourceID: String, action: String, spec: String, specDigest: String, at: Double, revision: String?, approval: String? = nil) throws(Unreadable) -> JournalIntentRecord {
        guard let parsed = Action(rawValue: action) else { throw Unreadable("journal entry \(sequence): unknown action '\(action)'") }
        return JournalIntentRecord(sequence: sequence, intent: JournalIntent(
            runID: runID, id: try id(resourceID), action: parsed, spec: try fields(spec, what: "journal entry \(sequence): spec"),
            specDigest: specDigest, at: Date(timeIntervalSince1970: at), revision: revision, approval: approval))
    }

    /// An API token record from its stored columns (the digest as hexadecimal text).
    public static func token(name: String, digestHex: String, role: String, createdAt: Double) throws(Unreadable) -> APIToken {
        guard let digest = SpecDigest.bytes(hex: digestHex), digest.count == 32, let (role, site) = APIToken.parse(storedRole: role) else {
            throw Unreadable("the API token '\(name)' cannot be read")
        }
        return APIToken(name: name, digest: digest, role: role, site: site, createdAt: Date(timeIntervalSince1970: createdAt))
    }

    /// A JSON object stored as text.
    public static func fields(_ text: String, what: String = "a stored value") throws(Unreadable) -> Fields {
        guard case .map(let fields) = try json(text, what: what) else { throw Unreadable("\(what): expected a JSON object") }
        return fields
    }

    /// A JSON object kept as its text (checked, not parsed: see ``EncodedFields``).
    static func encodedFields(_ text: String, what: String) throws(Unreadable) -> EncodedFields {
        guard let fields = EncodedFields(json: text) else {
            // Parsed only to say what is wrong with it.
            _ = try self.fields(text, what: what)
            throw Unreadable("\(what): expected a JSON object")
        }
        return fields
    }

    public static func id(_ text: String) throws(Unreadable) -> ResourceID {
        guard let id = ResourceID(parsing: text) else { throw Unreadable("bad resource id '\(text)'") }
        return id
    }

    private static func json(_ text: String, what: String) throws(Unreadable) -> Value {
        do {
            return try JSONValueParser.parse(text)
        } catch {
            throw Unreadable("\(what): \(error)")
        }
    }
}
