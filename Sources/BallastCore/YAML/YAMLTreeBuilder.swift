internal import CYAML

/// Builds ``YAMLNode`` trees from libyaml events, one document at a time.
///
/// Iterative (an explicit stack, never recursion), so hostile nesting cannot overflow the
/// stack; anchors, aliases, merge keys, tags and duplicate keys are handled here.
struct YAMLTreeBuilder {
    struct Frame {
        enum Kind { case sequence, mapping }
        var kind: Kind
        var location: SourceLocation
        var anchor: String?
        /// Where this collection's children start in the shared `items` or `entries` scratch
        /// arrays: children of open collections are stacked there, and each finished
        /// collection takes its own out in one exactly sized array, so no per-collection array
        /// grows (and reallocates) while it is being filled.
        var start: Int
        var keyIndex: [String: Int]? = nil
        var pendingKey: PendingKey = .none
        var merges: [YAMLNode] = []
    }

    enum PendingKey {
        case none
        case key(String, SourceLocation)
        case merge(SourceLocation)
        case invalid
    }

    private let file: UInt32
    private let lineOffset: UInt32
    private let limits: YAMLLimits
    private var stack: [Frame] = []
    private var items: [YAMLNode] = []
    private var entries: [YAMLEntry] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    /// Shared copies of the longer keys and values of every document of this parse.
    private var strings = StringInterner()
    private var expanded = 0
    private var root: YAMLNode?
    private var rootIsEmptyScalar = false
    /// Set when the current document was abandoned (a limit was hit); events are ignored until its end.
    private var abandoned = false

    /// Whether the current document was abandoned: the parser may stop feeding it.
    var isAbandoned: Bool { abandoned }
    private var skipDepth = 0
    private(set) var diagnostics: [Diagnostic] = []

    /// See ``YAMLParser/textMaps``.
    let textMaps: [[String]]
    /// The depths (stack counts) at which a scalar may be a text map's value.
    private let textMapDepths: Set<Int>

    init(file: UInt32, lineOffset: UInt32, limits: YAMLLimits, textMaps: [[String]] = []) {
        self.file = file
        self.lineOffset = lineOffset
        self.limits = limits
        self.textMaps = textMaps
        textMapDepths = Set(textMaps.map { $0.count + 1 })
    }

    /// Whether the scalar about to complete is a value in one of the ``textMaps``: every open
    /// collection is a mapping waiting for the value of the key on the path.
    private func isInTextMap() -> Bool {
        guard textMapDepths.contains(stack.count), stack.last?.kind == .mapping else { return false }
        return textMaps.contains { path in
            guard path.count + 1 == stack.count else { return false }
            for (index, key) in path.enumerated() {
                guard stack[index].kind == .mapping, case .key(let pending, _) = stack[index].pendingKey, pending == key else { return false }
            }
            return true
        }
    }

    func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: UInt32(mark.line) + lineOffset + 1, column: UInt32(mark.column) + 1)
    }

    private mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    /// An error about a scalar's value as written: the value's own checks add nothing to it.
    private mutating func rejectValue(_ message: String, at location: SourceLocation) {
        var diagnostic = Diagnostic.error(message, at: location)
        diagnostic.rejectsValue = true
        diagnostics.append(diagnostic)
    }

    /// Starts a new document.
    mutating func beginDocument() {
        stack.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        anchors.removeAll(keepingCapacity: true)
        expanded = 0
        root = nil
        rootIsEmptyScalar = false
        abandoned = false
        skipDepth = 0
    }

    /// Ends the current document and returns its root, or nil for an empty or abandoned document.
    mutating func endDocument() -> YAMLNode? {
        defer { root = nil }
        if abandoned || rootIsEmptyScalar { return nil }
        return root
    }

    private mutating func abandon(_ message: String, at location: SourceLocation) {
        error(message, at: location)
        abandoned = true
        skipDepth = stack.count
        stack.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    // MARK: Events

    mutating func scalar(_ event: UnsafePointer<yaml_event_t>) {
        if abandoned { return }
        let data = event.pointee.data.scalar
        let location = location(event.pointee.start_mark)
        let bytes = UnsafeBufferPointer(start: UnsafePointer(data.value), count: Int(data.length))
        let anchor = data.anchor.map { String(cString: UnsafePointer($0)) }
        let tag = data.tag.map { String(cString: UnsafePointer($0)) }
        let plain = data.style == YAML_PLAIN_SCALAR_STYLE

        // A mapping key: keep its text, never resolve it.
        if let top = stack.last, top.kind == .mapping, case .none = top.pendingKey {
            let text = strings.string(bytes)
            let index = stack.count - 1
            if plain && tag == nil && text == "<<" {
                stack[index].pendingKey = .merge(location)
            } else {
                stack[index].pendingKey = .key(text, location)
            }
            if let anchor { anchors[anchor] = (YAMLNode(.string(text), at: location), 1) }
            return
        }

        let value: YAMLValue
        if let tag {
            value = resolveTagged(bytes, tag: tag, plain: plain, at: location)
        } else if plain && !textMapDepths.isEmpty && isInTextMap() {
            // Labels are text: `007` and `0x10` are kept as written, as a selector quotes them.
            // (null and empty stay null: "no value" is not the text "null".)
            let text = strings.string(bytes)
            value = (text.isEmpty || text == "null" || text == "~") ? .null : .string(text)
        } else if plain {
            switch ScalarResolver.resolve(bytes, strings: &strings) {
            case .value(let scalar):
                value = scalar.value
            case .intOutOfRange:
                let text = ScalarResolver.string(bytes)
                rejectValue("integer '\(text)' does not fit in 64 bits", at: location)
                // Still an int (clamped), so that the field's own checks see the type written and
                // add no second error for the same mistake; the document is in error anyway.
                value = .int(text.hasPrefix("-") ? .min : .max)
            }
        } else {
            value = .string(strings.string(bytes))
        }
        if stack.isEmpty && plain && tag == nil && bytes.isEmpty {
            rootIsEmptyScalar = true
        }
        complete(YAMLNode(value, at: location), anchor: anchor)
    }

    private mutating func resolveTagged(_ bytes: UnsafeBufferPointer<UInt8>, tag: String, plain: Bool, at location: SourceLocation) -> YAMLValue {
        let text = ScalarResolver.string(bytes)
        let resolved: YAMLValue.Scalar? = {
            if case .value(let scalar) = ScalarResolver.resolve(bytes) { return scalar }
            return nil
        }()
        switch tag {
        case "!", "tag:yaml.org,2002:str":
            return .string(text)
        case "tag:yaml.org,2002:int":
            if case .int(let int)? = resolved { return .int(int) }
            rejectValue("'\(text)' is not a valid !!int", at: location)
        case "tag:yaml.org,2002:float":
            if case .double(let double)? = resolved { return .double(double) }
            if case .int(let int)? = resolved { return .double(Double(int)) }
            rejectValue("'\(text)' is not a valid !!float", at: location)
        case "tag:yaml.org,2002:bool":
            if case .bool(let bool)? = resolved { return .bool(bool) }
            rejectValue("'\(text)' is not a valid !!bool", at: location)
        case "tag:yaml.org,2002:null":
            if case .null? = resolved { return .null }
            rejectValue("'\(text)' is not a valid !!null", at: location)
        case "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq":
            rejectValue("tag \(Self.shortTag(tag)) cannot be used on a scalar", at: location)
        default:
            rejectValue("unsupported tag '\(Self.shortTag(tag))'; only !!str, !!int, !!bool, !!float, !!null, !!map and !!seq are allowed", at: location)
        }
        return .string(text)
    }

    static func shortTag(_ tag: String) -> String {
        tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
    }

    mutating func alias(_ event: UnsafePointer<yaml_event_t>) {
        if abandoned { return }
        let location = location(event.pointee.start_mark)
        let name = String(cString: UnsafePointer(event.pointee.data.alias.anchor))
        guard let (node, size) = anchors[name] else {
            rejectValue("alias '*\(name)' refers to an undefined anchor", at: location)
            completeOrKey(YAMLNode(.null, at: location))
            return
        }
        expanded += size
        if expanded > limits.maxAliasExpansion {
            abandon("aliases expand to more than \(limits.maxAliasExpansion) nodes in one document (alias bomb?)", at: location)
            return
        }
        var copy = node
        copy.location = location
        completeOrKey(copy)
    }

    /// An alias may stand as a key: a scalar alias becomes the key's text.
    private mutating func completeOrKey(_ node: YAMLNode) {
        if let top = stack.last, top.kind == .mapping, case .none = top.pendingKey {
            let index = stack.count - 1
            if let key = Self.keyText(node) {
                stack[index].pendingKey = .key(key, node.location)
            } else {
                error("mapping keys must be scalars", at: node.location)
                stack[index].pendingKey = .invalid
            }
            return
        }
        complete(node, anchor: nil)
    }

    private static func keyText(_ node: YAMLNode) -> String? {
        switch node.value {
        case .string(let string): string
        case .int(let int): String(int)
        case .bool(let bool): String(bool)
        case .double(let double): String(double)
        case .null: "null"
        case .sequence, .mapping: nil
        }
    }

    mutating func startCollection(_ kind: Frame.Kind, _ event: UnsafePointer<yaml_event_t>) {
        if abandoned {
            skipDepth += 1
            return
        }
        let location = location(event.pointee.start_mark)
        let anchorPointer: UnsafeMutablePointer<yaml_char_t>?
        let tagPointer: UnsafeMutablePointer<yaml_char_t>?
        if kind == .sequence {
            anchorPointer = event.pointee.data.sequence_start.anchor
            tagPointer = event.pointee.data.sequence_start.tag
        } else {
            anchorPointer = event.pointee.data.mapping_start.anchor
            tagPointer = event.pointee.data.mapping_start.tag
        }
        if let tagPointer {
            let tag = String(cString: UnsafePointer(tagPointer))
            let expected = kind == .sequence ? "tag:yaml.org,2002:seq" : "tag:yaml.org,2002:map"
            if tag != expected && tag != "!" {
                error("tag '\(Self.shortTag(tag))' cannot be used on a \(kind == .sequence ? "list" : "mapping")", at: location)
            }
        }
        if stack.count >= limits.maxDepth {
            abandon("nesting is deeper than \(limits.maxDepth) levels", at: location)
            skipDepth += 1
            return
        }
        // A collection used as a key is not supported.
        if let top = stack.last, top.kind == .mapping, case .none = top.pendingKey {
            error("mapping keys must be scalars", at: location)
            stack[stack.count - 1].pendingKey = .invalid
        }
        let anchor = anchorPointer.map { String(cString: UnsafePointer($0)) }
        stack.append(Frame(kind: kind, location: location, anchor: anchor, start: kind == .sequence ? items.count : entries.count))
    }

    mutating func endCollection() {
        if abandoned {
            skipDepth -= 1
            return
        }
        guard let frame = stack.popLast() else { return }
        let node: YAMLNode
        switch frame.kind {
        case .sequence:
            let children = Array(items[frame.start...])
            items.removeSubrange(frame.start...)
            node = YAMLNode(.sequence(children), at: frame.location)
        case .mapping:
            let children = Array(entries[frame.start...])
            entries.removeSubrange(frame.start...)
            node = YAMLNode(.mapping(applyMerges(frame, children)), at: frame.location)
        }
        complete(node, anchor: frame.anchor)
    }

    private mutating func applyMerges(_ frame: Frame, _ own: [YAMLEntry]) -> [YAMLEntry] {
        guard !frame.merges.isEmpty else { return own }
        var entries = own
        var present = Set(entries.map(\.key))
        for source in frame.merges {
            let mappings: [YAMLNode]
            switch source.value {
            case .mapping: mappings = [source]
            case .sequence(let items): mappings = items
            default: mappings = []
            }
            for mapping in mappings {
                guard case .mapping(let merged) = mapping.value else {
                    error("a merge key (<<) needs a mapping or a list of mappings, found \(mapping.typeName)", at: mapping.location)
                    continue
                }
                for entry in merged where present.insert(entry.key).inserted {
                    entries.append(entry)
                }
            }
        }
        return entries
    }

    /// Places a finished node: as the root, as a list item, or as the value of the pending key.
    private mutating func complete(_ node: YAMLNode, anchor: String?) {
        if let anchor {
            anchors[anchor] = (node, node.nodeCount)
        }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let index = stack.count - 1
        switch stack[index].kind {
        case .sequence:
            items.append(node)
        case .mapping:
            switch stack[index].pendingKey {
            case .none:
                // Only reachable for keys built from collections, which are reported at their start.
                stack[index].pendingKey = .invalid
                return
            case .invalid:
                break
            case .merge(let location):
                switch node.value {
                case .mapping, .sequence:
                    stack[index].merges.append(node)
                default:
                    error("a merge key (<<) needs a mapping or a list of mappings, found \(node.typeName)", at: location)
                }
            case .key(let key, let keyLocation):
                insert(YAMLEntry(key: key, keyLocation: keyLocation, value: node), into: index)
            }
            stack[index].pendingKey = .none
        }
    }

    private mutating func insert(_ entry: YAMLEntry, into index: Int) {
        let start = stack[index].start
        let count = entries.count - start
        var firstIndex: Int?
        if count < 12 {
            firstIndex = entries[start...].firstIndex { $0.key == entry.key }
        } else {
            if stack[index].keyIndex == nil {
                var keyIndex: [String: Int] = [:]
                for offset in start..<entries.count { keyIndex[entries[offset].key] = offset }
                stack[index].keyIndex = keyIndex
            }
            firstIndex = stack[index].keyIndex?[entry.key]
            if firstIndex == nil { stack[index].keyIndex?[entry.key] = entries.count }
        }
        if let firstIndex {
            let first = entries[firstIndex]
            error("duplicate key '\(entry.key)'", at: entry.keyLocation, notes: [.init("'\(entry.key)' was first defined here", at: first.keyLocation)])
            return
        }
        entries.append(entry)
    }
}
