import Foundation

/// The manifest `ballast import` writes for a resource that exists: its settable fields as
/// observed, so that the next plan finds nothing to change (as
/// `terraform plan -generate-config-out` writes configuration). Pure.
///
/// Sensitive fields are never written: each becomes a `${env:…}` placeholder, whose variable
/// must hold the value when planning. Text that looks like a reference (`${`) is written
/// escaped (`$${`), so it stays text.
public enum ImportedManifest {
    /// Why a resource cannot be written as a manifest.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The document (with a leading comment), and the environment variables its sensitive
    /// fields read.
    public static func document(for observed: Observed, kind: KindSchema) throws(Refusal) -> (text: String, environment: [String]) {
        let id = observed.id
        guard NameRules.isValidName(id.name) else {
            throw Refusal(description: "\(id) cannot be imported: '\(TerminalText.safe(id.name))' is not a valid Ballast name (lowercase letters, digits and '-', at most 63)")
        }
        var lines = [
            "# Imported by `ballast import` from what exists on site \(id.site).",
            "apiVersion: \(ManifestDecoder.apiVersion)",
            "kind: \(id.kind)",
            "metadata:",
            "  name: \(id.name)",
            "  site: \(id.site)",
        ]
        var environment: [String] = []
        var spec: [String] = []
        for field in kind.fields.sorted(by: { $0.name < $1.name }) where !field.computed {
            guard let value = observed.spec[field.name], value != .null else { continue }
            if field.sensitive {
                let variable = variableName(id, field: field.name)
                environment.append(variable)
                spec.append("  \(field.name): \"${env:\(variable)}\"   # sensitive: never written; set \(variable) to its value")
            } else {
                spec.append("  \(field.name): \(JSONText.string(escapingReferences(value)))")
            }
        }
        lines.append(spec.isEmpty ? "spec: {}" : "spec:")
        lines.append(contentsOf: spec)
        return (lines.joined(separator: "\n") + "\n", environment)
    }

    /// `BALLAST_IMPORT_BUCKET_LOGS_PASSWORD`: letters and digits upper-cased, the rest `_`.
    static func variableName(_ id: ResourceID, field: String) -> String {
        let raw = "BALLAST_IMPORT_\(id.kind)_\(id.name)_\(field)"
        return String(raw.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    static func escapingReferences(_ value: Value) -> Value {
        switch value {
        case .string(let text): .string(text.replacingOccurrences(of: "${", with: "$${"))
        case .list(let items): .list(items.map(escapingReferences))
        case .map(let fields): .map(Fields(fields.map { ($0.key, escapingReferences($0.value)) }))
        default: value
        }
    }
}
