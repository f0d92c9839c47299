import Foundation

/// Known unmanaged resources to leave out of `ballast unmanaged`: the lines of `.ballastignore`
/// files, each a resource id or a glob over ids (`Bucket/tmp-*@*`, `*@legacy-dc`), as driftctl's
/// `.driftignore` has. `#` starts a comment; blank lines are skipped. `*` matches any run of
/// characters, `?` one character.
public struct IgnoreList: Sendable, Hashable {
    public private(set) var patterns: [String]

    public init(patterns: [String] = []) {
        self.patterns = patterns
    }

    /// The patterns of one file's text.
    public init(text: String) {
        patterns = text.split(whereSeparator: \.isNewline).compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    public mutating func append(_ other: IgnoreList) {
        patterns.append(contentsOf: other.patterns)
    }

    public func ignores(_ id: ResourceID) -> Bool {
        let text = Array(id.description.utf8)
        return patterns.contains { Self.matches(Array($0.utf8), text) }
    }

    /// Glob matching with `*` and `?`, iterative (no recursion, linear backtracking).
    static func matches(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var (p, t) = (0, 0)
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
