/// An ordered collection of diagnostics that every stage appends to instead of stopping.
public struct Diagnostics: Sendable, Hashable {
    public private(set) var items: [Diagnostic] = []

    public init(_ items: [Diagnostic] = []) {
        self.items = items
    }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errorCount: Int { items.count(where: { $0.severity == .error }) }
    public var warningCount: Int { items.count(where: { $0.severity == .warning }) }
    public var isEmpty: Bool { items.isEmpty }

    public mutating func append(_ diagnostic: Diagnostic) {
        items.append(diagnostic)
    }

    public mutating func append(contentsOf other: Diagnostics) {
        items.append(contentsOf: other.items)
    }

    public mutating func append(contentsOf other: [Diagnostic]) {
        items.append(contentsOf: other)
    }

    public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        items.append(.error(message, at: location, notes: notes))
    }

    public mutating func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        items.append(.warning(message, at: location, notes: notes))
    }

    /// The diagnostics sorted by file path, line and column; those without a location come first.
    /// Exact duplicates (the same message at the same place) are reported once, and so is one
    /// mistake: an error at the position of a value already rejected as written
    /// (``Diagnostic/rejectsValue``: an integer that overflows, then fails its field's range)
    /// is left out.
    public func sorted(files: SourceFiles) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let rejected = Set(items.filter(\.rejectsValue).compactMap(\.location))
        let unique = items.filter { item in
            guard seen.insert(item).inserted else { return false }
            guard !item.rejectsValue, let location = item.location else { return true }
            return !rejected.contains(location)
        }
        return unique.enumerated().sorted { lhs, rhs in
            let a = lhs.element.location
            let b = rhs.element.location
            switch (a, b) {
            case (nil, nil): return lhs.offset < rhs.offset
            case (nil, _): return true
            case (_, nil): return false
            case let (a?, b?):
                let pathA = files.path(a.file)
                let pathB = files.path(b.file)
                if pathA != pathB { return pathA < pathB }
                if a.line != b.line { return a.line < b.line }
                if a.column != b.column { return a.column < b.column }
                return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}
