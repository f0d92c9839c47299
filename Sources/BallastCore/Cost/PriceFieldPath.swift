/// A spec field named in a price model: `sizeGb`, `backups.retentionDays`, or through a
/// list of objects, `disks[].sizeGb` (one value per item).
public struct PriceFieldPath: Sendable, Hashable, CustomStringConvertible {
    public struct Segment: Sendable, Hashable {
        public var name: String
        /// `name[]`: the field is a list, and the path goes on in each item.
        public var throughList: Bool
    }

    public var segments: [Segment]
    public var description: String

    /// Parses `a.b`, `a[].b`; nil for an empty or malformed path.
    public init?(_ text: String) {
        var segments: [Segment] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            let throughList = name.hasSuffix("[]")
            if throughList { name = name.dropLast(2) }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { return nil }
            segments.append(Segment(name: String(name), throughList: throughList))
        }
        guard !segments.isEmpty, segments.last?.throughList == false else { return nil }
        self.segments = segments
        description = text
    }

    /// The schema of the field the path ends at, or why the path names no field of `fields`.
    public func leaf(in fields: [FieldSchema]) -> Result<FieldSchema, PathProblem> {
        var current = fields
        var walked = ""
        for (index, segment) in segments.enumerated() {
            guard let field = current.first(where: { $0.name == segment.name }) else {
                return .failure(PathProblem(message: walked.isEmpty ? "is not a field of the kind" : "names no field '\(segment.name)' in '\(walked)'", suggestions: current.map(\.name)))
            }
            walked += (walked.isEmpty ? "" : ".") + segment.name
            let isLast = index == segments.count - 1
            var type = field.type
            if segment.throughList {
                guard case .list(let element) = type else {
                    return .failure(PathProblem(message: "uses '\(segment.name)[]', but '\(walked)' is \(type.withArticle), not a list", suggestions: []))
                }
                type = element
            } else if case .list = type, !isLast {
                return .failure(PathProblem(message: "goes into the list '\(walked)': write '\(segment.name)[]' to sum over its items", suggestions: []))
            }
            if isLast { return .success(FieldSchema(field.name, type, allowed: field.allowed, default: field.defaultValue)) }
            guard case .object(let nested) = type else {
                return .failure(PathProblem(message: "goes into '\(walked)', which is \(type.withArticle), not an object", suggestions: []))
            }
            current = nested
            walked += segment.throughList ? "[]" : ""
        }
        return .failure(PathProblem(message: "is empty", suggestions: []))
    }

    /// Why a path names no field.
    public struct PathProblem: Error, Sendable, Hashable {
        public var message: String
        public var suggestions: [String]
    }

    /// The values at the path in `spec`: one, or one per list item; a field that is not set
    /// takes its schema default (none when it has no default).
    public func values(in spec: Fields, schema: [FieldSchema]) -> [Value] {
        var results: [Value] = []
        collect(from: spec, schema: schema, depth: 0, into: &results)
        return results
    }

    private func collect(from fields: Fields, schema: [FieldSchema], depth: Int, into results: inout [Value]) {
        let segment = segments[depth]
        let field = schema.first { $0.name == segment.name }
        guard let value = fields[segment.name] ?? field?.defaultValue, value != .null else { return }
        let isLast = depth == segments.count - 1
        var nested: [FieldSchema] = []
        var elementType = field?.type
        if segment.throughList, case .list(let element)? = field?.type { elementType = element }
        if case .object(let objectFields)? = elementType { nested = objectFields }
        let items: [Value]
        if segment.throughList {
            guard case .list(let list) = value else { return }
            items = list
        } else {
            items = [value]
        }
        for item in items {
            if isLast {
                results.append(item)
            } else if case .map(let inner) = item {
                collect(from: inner, schema: nested, depth: depth + 1, into: &results)
            }
        }
    }
}
