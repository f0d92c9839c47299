/// The JSON form of diagnostics, for CI (`validate -o json`).
public enum DiagnosticJSON {
    public static func encode(_ diagnostics: Diagnostics, files: SourceFiles, resources: Int?) -> Value {
        func location(_ location: SourceLocation?) -> [String: Value] {
            guard let location else { return [:] }
            return ["file": .string(files.path(location.file)), "line": .int(Int(location.line)), "column": .int(Int(location.column))]
        }
        let items: [Value] = diagnostics.sorted(files: files).map { diagnostic in
            var fields = location(diagnostic.location)
            fields["severity"] = .string(diagnostic.severity.rawValue)
            fields["message"] = .string(diagnostic.message)
            fields["notes"] = .list(diagnostic.notes.map { note in
                var noteFields = location(note.location)
                noteFields["message"] = .string(note.message)
                return .map(Fields(noteFields))
            })
            return .map(Fields(fields))
        }
        return .map(Fields([
            "formatVersion": .int(1),
            "valid": .bool(!diagnostics.hasErrors),
            "errors": .int(diagnostics.errorCount),
            "warnings": .int(diagnostics.warningCount),
            "resources": resources.map(Value.int) ?? .null,
            "diagnostics": .list(items),
        ]))
    }
}
