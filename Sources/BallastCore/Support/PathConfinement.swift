/// Lexical path arithmetic for fields that must stay inside a directory (a host site's root):
/// `..` and `.` are resolved without touching any file system, so it works for remote hosts
/// too. (Symlinks can only be checked on the host itself.)
public enum PathConfinement {
    /// `/a/./b/../c/` → `/a/c`; relative paths stay relative (`a/../b` → `b`).
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty && parts.last != ".." { parts.removeLast() } else if !path.hasPrefix("/") { parts.append(part) }
            default: parts.append(part)
            }
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// `path` (absolute, or relative to `root`) resolved against `root`; nil when it leaves it.
    public static func resolve(_ path: String, under root: String) -> String? {
        let base = normalize(root)
        let joined = normalize(path.hasPrefix("/") ? path : base + "/" + path)
        if base == "/" || joined == base || joined.hasPrefix(base + "/") { return joined }
        if base.isEmpty && !joined.hasPrefix("/") && !joined.hasPrefix("..") { return joined }
        return nil
    }
}
