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
    /// False: never deleted because it is no longer declared (Argo CD's `Prune=false`); only
    /// `destroy` or `forget` remove it.
    public var prune: Bool

    public init(preventDestroy: Bool = false, ignoreChanges: [String] = [], deletion: Deletion = .delete, management: Management = .full, selfHeal: Bool = true, prune: Bool = true) {
        self.preventDestroy = preventDestroy
        self.ignoreChanges = ignoreChanges
        self.deletion = deletion
        self.management = management
        self.selfHeal = selfHeal
        self.prune = prune
    }

    /// The spec to send in an update: each ignored field carries the value observed (or is left
    /// out when the world has none), so that an update never changes what the plan did not show.
    public func keepingIgnored(_ desired: Fields, observed: Fields) -> Fields {
        guard !ignoreChanges.isEmpty else { return desired }
        var spec = desired
        for pattern in ignoreChanges {
            let path = pattern.hasPrefix("spec.") ? String(pattern.dropFirst(5)) : pattern
            SpecResolver.set(SpecPaths.value(at: path, in: observed), at: path, in: &spec)
        }
        return spec
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
