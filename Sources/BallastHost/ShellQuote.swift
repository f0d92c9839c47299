/// POSIX shell quoting: every value becomes one single-quoted word, whatever it holds
/// (spaces, quotes, `$(…)`, `;`, newlines).
public enum ShellQuote {
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
