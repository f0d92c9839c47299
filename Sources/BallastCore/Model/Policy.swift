/// The optional `policy` block of a resource manifest.
public struct Policy: Sendable, Hashable, Codable {
    public enum Deletion: String, Sendable, Hashable, Codable, CaseIterable {
        case delete
        case orphan
    }

    public enum Management: String, Sendable, Hashable, Codable, CaseIterable {
        case full
        case observe
    }

    public var preventDestroy: Bool
    /// Spec field paths (`spec.sizeGb`, `spec.tags`) whose changes are not acted on.
    public var ignoreChanges: [String]
    public var deletion: Deletion
    public var management: Management
    public var selfHeal: Bool

    public init(preventDestroy: Bool = false, ignoreChanges: [String] = [], deletion: Deletion = .delete, management: Management = .full, selfHeal: Bool = true) {
        self.preventDestroy = preventDestroy
        self.ignoreChanges = ignoreChanges
        self.deletion = deletion
        self.management = management
        self.selfHeal = selfHeal
    }

    /// Whether changes at a spec path (without the `spec.` prefix) are ignored.
    public func ignores(specPath path: String) -> Bool {
        if ignoreChanges.isEmpty { return false }
        return ignoreChanges.contains { pattern in
            let trimmed = pattern.hasPrefix("spec.") ? String(pattern.dropFirst(5)) : pattern
            return path == trimmed || path.hasPrefix(trimmed + ".") || path.hasPrefix(trimmed + "[")
        }
    }
}
