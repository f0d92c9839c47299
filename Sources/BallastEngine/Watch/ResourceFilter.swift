import BallastCore
import Foundation

/// Which resources a listing shows: by site, kind, a condition that holds, a label, and a
/// piece of the id. Every part is optional; all given parts must match.
public struct ResourceFilter: Sendable, Hashable {
    public var site: String?
    public var kind: String?
    public var condition: ResourceCondition.Kind?
    /// `key` (the label is set) or `key=value`.
    public var label: String?
    /// A piece of the id, case-insensitive.
    public var search: String?

    public init(site: String? = nil, kind: String? = nil, condition: ResourceCondition.Kind? = nil, label: String? = nil, search: String? = nil) {
        self.site = site
        self.kind = kind
        self.condition = condition
        self.label = label
        self.search = search
    }

    public var isEmpty: Bool { site == nil && kind == nil && condition == nil && label == nil && search == nil }

    /// ``matches(_:labels:)`` with the work that does not depend on the resource done once: for
    /// scanning many.
    public func matcher() -> @Sendable (ResourceStatus, StringMap?) -> Bool {
        var withoutSearch = self
        withoutSearch.search = nil
        let plain = withoutSearch
        guard let search else { return { plain.matches($0, labels: $1) } }
        let needle = Array(search.lowercased().utf8)
        return { status, labels in plain.matches(status, labels: labels) && Self.contains(status.id.description, lowercased: needle) }
    }

    /// Whether `text` contains `needle` (lowercase UTF-8), ignoring ASCII case.
    static func contains(_ text: String, lowercased needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        let haystack = Array(text.utf8)
        guard haystack.count >= needle.count else { return false }
        outer: for start in 0...(haystack.count - needle.count) {
            for offset in 0..<needle.count {
                var byte = haystack[start + offset]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != needle[offset] { continue outer }
            }
            return true
        }
        return false
    }

    /// Whether `status`, with the labels its manifest gives it, is shown.
    public func matches(_ status: ResourceStatus, labels: StringMap?) -> Bool {
        if let site, status.id.site != site { return false }
        if let kind, status.id.kind != kind { return false }
        if let condition, !status.holds(condition) { return false }
        if let label {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard let value = labels?[parts[0]] else { return false }
            if parts.count == 2, value != parts[1] { return false }
        }
        if let search, !Self.contains(status.id.description, lowercased: Array(search.lowercased().utf8)) { return false }
        return true
    }
}
