/// A unified diff of two texts, line by line (longest common subsequence), with `context`
/// unchanged lines around each change: how plans show edits to multi-line strings such as a
/// file's content.
public enum UnifiedDiff {
    /// `@@ -start,count +start,count @@` hunks with ` `, `-` and `+` lines; nil when either
    /// side is too long to diff here (over `limit` lines).
    public static func lines(before: String, after: String, context: Int = 3, limit: Int = 2000) -> [String]? {
        let old = split(before)
        let new = split(after)
        guard old.count <= limit, new.count <= limit else { return nil }
        // LCS table, from the ends.
        var table = [[Int]](repeating: [Int](repeating: 0, count: new.count + 1), count: old.count + 1)
        for i in stride(from: old.count - 1, through: 0, by: -1) {
            for j in stride(from: new.count - 1, through: 0, by: -1) {
                table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        // The edit script: (tag, old index, new index).
        var script: [(Character, Int, Int)] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count, j < new.count, old[i] == new[j] {
                script.append((" ", i, j)); i += 1; j += 1
            } else if j < new.count, i == old.count || table[i][j + 1] > table[i + 1][j] {
                script.append(("+", i, j)); j += 1
            } else {
                script.append(("-", i, j)); i += 1
            }
        }
        // Group changes with their context into hunks.
        let changed = script.indices.filter { script[$0].0 != " " }
        guard !changed.isEmpty else { return [] }
        var hunks: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(script.count - 1, index + context)
            if let last = hunks.last, range.lowerBound <= last.upperBound + 1 {
                hunks[hunks.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                hunks.append(range)
            }
        }
        var out: [String] = []
        for hunk in hunks {
            let entries = script[hunk]
            let oldCount = entries.count { $0.0 != "+" }
            let newCount = entries.count { $0.0 != "-" }
            let oldStart = entries.first.map { $0.1 + (oldCount > 0 ? 1 : 0) } ?? 0
            let newStart = entries.first.map { $0.2 + (newCount > 0 ? 1 : 0) } ?? 0
            out.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
            for (tag, oldIndex, newIndex) in entries {
                out.append(String(tag) + (tag == "+" ? new[newIndex] : old[oldIndex]))
            }
        }
        return out
    }

    static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
