/// The type and flags of one spec field, as a provider declares it.
public struct FieldSchema: Sendable, Hashable {
    public indirect enum FieldType: Sendable, Hashable {
        case string
        case int
        case bool
        case number
        case list(FieldType)
        /// Free-form keys, each value of the given type (tags, env).
        case map(FieldType)
        /// Named, known fields.
        case object([FieldSchema])

        public var displayName: String {
            switch self {
            case .string: "string"
            case .int: "int"
            case .bool: "bool"
            case .number: "number"
            case .list(let element): "list of \(element.displayName)"
            case .map(let element): "map of \(element.displayName)"
            case .object: "object"
            }
        }

        /// `an int`, `a string`: for messages.
        public var withArticle: String {
            switch self {
            case .int, .object: "an \(displayName)"
            default: "a \(displayName)"
            }
        }
    }

    public var name: String
    public var type: FieldType
    public var required: Bool
    /// The allowed values, for enum-like string fields.
    public var allowed: [String]?
    public var defaultValue: Value?
    /// A change to an immutable field forces the resource to be replaced.
    public var immutable: Bool
    /// Set by the provider (an output); the user may not set it.
    public var computed: Bool
    /// Redacted in every plan, log and API output.
    public var sensitive: Bool
    public var summary: String
    /// The site config field naming a directory this path must stay inside (`root`): checked
    /// when manifests are validated.
    public var confinedTo: String?
    /// For a path field: the field that receives the file's text, read relative to the
    /// manifest when it is loaded (`source` → `content`); the path field itself is dropped.
    public var loadsFileInto: String?
    /// For a site config path where the provider keeps its own data (a plugin's database): a
    /// relative value is under the state directory, never the working directory, so that a
    /// run from another directory finds the same data and none lands in the source tree.
    public var dataPath: Bool
    /// For int and number fields: the smallest and largest value allowed, checked when
    /// manifests are validated. Numbers must be finite whatever the range.
    public var minimum: Double?
    public var maximum: Double?
    /// For a top-level string field a provider may leave out of what it observes when the value
    /// is unchanged since Ballast wrote it (a file's content): the output that then holds the
    /// value's SHA-256 in hexadecimal (``DigestedFields``).
    public var digestOutput: String?

    public init(
        _ name: String,
        _ type: FieldType,
        required: Bool = false,
        allowed: [String]? = nil,
        default defaultValue: Value? = nil,
        range: ClosedRange<Double>? = nil,
        immutable: Bool = false,
        computed: Bool = false,
        sensitive: Bool = false,
        summary: String = "",
        confinedTo: String? = nil,
        loadsFileInto: String? = nil,
        dataPath: Bool = false,
        digestOutput: String? = nil
    ) {
        self.digestOutput = digestOutput
        self.name = name
        self.type = type
        self.required = required
        self.allowed = allowed
        self.defaultValue = defaultValue
        self.immutable = immutable
        self.computed = computed
        self.sensitive = sensitive
        self.summary = summary
        self.confinedTo = confinedTo
        self.loadsFileInto = loadsFileInto
        self.dataPath = dataPath
        self.minimum = range.flatMap { $0.lowerBound.isFinite ? $0.lowerBound : nil }
        self.maximum = range.flatMap { $0.upperBound.isFinite ? $0.upperBound : nil }
    }

    /// The allowed range in words ("from 0 to 1", "at least 1"), or nil when unbounded.
    public var rangeText: String? {
        func text(_ value: Double) -> String { value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value) }
        switch (minimum, maximum) {
        case let (low?, high?): return "from \(text(low)) to \(text(high))"
        case let (low?, nil): return "at least \(text(low))"
        case let (nil, high?): return "at most \(text(high))"
        case (nil, nil): return nil
        }
    }
}
