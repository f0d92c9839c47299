/// A map of fields kept as its JSON text and parsed when read.
///
/// For fields a process holds by the hundred thousand but rarely reads: the spec last applied
/// in the inventory, a sim record's spec and outputs, the spec a plan observed. Parsed, a spec
/// takes about three times the bytes of its text, and one allocation per string, map and list
/// in it.
///
/// As a property wrapper, `@EncodedFields var spec: Fields` reads and writes fields, and
/// `$spec` is the kept form (its ``json``, or one read from a store).
@propertyWrapper
public struct EncodedFields: Sendable, Hashable {
    private enum Storage: Sendable {
        case parsed(Fields)
        /// One well-formed JSON object.
        case text(String)
    }

    private var storage: Storage

    public init(_ fields: Fields) {
        storage = .parsed(fields)
    }

    public init(wrappedValue: Fields) {
        self.init(wrappedValue)
    }

    /// The fields (``fields``); set, they are kept parsed.
    public var wrappedValue: Fields {
        get { fields }
        set { storage = .parsed(newValue) }
    }

    /// The kept form itself: `$spec` of a property it wraps.
    public var projectedValue: EncodedFields {
        get { self }
        set { self = newValue }
    }

    /// Kept as `json`; nil unless it is one well-formed JSON object.
    public init?(json: String) {
        var json = json
        let wellFormed = json.withUTF8 { JSONValueParser.isObject($0) }
        guard wellFormed else { return nil }
        storage = .text(json)
    }

    /// Kept as a copy of the text in `json`; nil unless it is one well-formed JSON object.
    public init?(json: UnsafeBufferPointer<UInt8>) {
        guard JSONValueParser.isObject(json) else { return nil }
        storage = .text(String(decoding: json, as: UTF8.self))
    }

    /// The fields, parsed now when kept as text.
    public var fields: Fields {
        switch storage {
        case .parsed(let fields):
            return fields
        case .text(let json):
            // Checked to be an object when it was kept, so the fallback cannot be reached.
            return (try? JSONValueParser.parse(json))?.fieldsValue ?? Fields()
        }
    }

    /// The JSON text, as kept or (when held parsed) as ``JSONText`` writes it.
    public var json: String {
        switch storage {
        case .parsed(let fields): JSONText.string(.map(fields))
        case .text(let json): json
        }
    }

    public static func == (lhs: EncodedFields, rhs: EncodedFields) -> Bool {
        if case .text(let left) = lhs.storage, case .text(let right) = rhs.storage, left == right { return true }
        return lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fields)
    }
}
