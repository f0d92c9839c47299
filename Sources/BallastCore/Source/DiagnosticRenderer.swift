/// Renders diagnostics as `path:line:column: error: message` lines, compiler style.
public struct DiagnosticRenderer: Sendable {
    public var files: SourceFiles

    public init(files: SourceFiles) {
        self.files = files
    }

    /// All diagnostics, sorted, followed by a count line such as `3 errors, 1 warning`
    /// (omitted when there are none).
    public func render(_ diagnostics: Diagnostics) -> String {
        var out = ""
        for diagnostic in diagnostics.sorted(files: files) {
            out += line(diagnostic.severity.rawValue, diagnostic.message, diagnostic.location)
            for note in diagnostic.notes {
                out += line("note", note.message, note.location)
            }
        }
        if let summary = Self.summary(errors: diagnostics.errorCount, warnings: diagnostics.warningCount) {
            out += summary + "\n"
        }
        return out
    }

    /// `2 errors, 1 warning`, or nil when both are zero.
    public static func summary(errors: Int, warnings: Int) -> String? {
        var parts: [String] = []
        if errors > 0 { parts.append(errors == 1 ? "1 error" : "\(errors) errors") }
        if warnings > 0 { parts.append(warnings == 1 ? "1 warning" : "\(warnings) warnings") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    private func line(_ label: String, _ message: String, _ location: SourceLocation?) -> String {
        if let location {
            return "\(TerminalText.safe(files.describe(location))): \(label): \(TerminalText.safe(message))\n"
        }
        return "ballast: \(label): \(TerminalText.safe(message))\n"
    }
}
