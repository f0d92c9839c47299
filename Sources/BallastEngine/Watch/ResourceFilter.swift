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
        if let search, !status.id.description.localizedCaseInsensitiveContains(search) { return false }
        return true
    }
}
