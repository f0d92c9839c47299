/// Path arithmetic on strings, without Foundation's `NSString` path methods:
/// `deletingLastPathComponent` traps on a one-character path (`"."`, `"m"`) in
/// swift-corelibs-foundation, which made `ballast watch .` crash.
public enum PathText {
    /// The path without its last component, as `NSString.deletingLastPathComponent` means it:
    /// `a/b` → `a`, `a` → ``, `/a` → `/`, `/` → `/`, `a/b/` → `a`, `a//b` → `a`.
    public static func deletingLastComponent(_ path: String) -> String {
        var characters = Substring(path)
        while characters.count > 1, characters.hasSuffix("/") { characters = characters.dropLast() }
        if characters == "/" { return "/" }
        guard let slash = characters.lastIndex(of: "/") else { return "" }
        var parent = characters[..<slash]
        while parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// Whether `path` is `directory` or lies under it, by whole components: `a/bc` is not
    /// within `a/b`. Both are taken as written (make them canonical first to compare real places).
    public static func isWithin(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }
}
