#if canImport(Glibc)
import Glibc
#endif

/// A string that may hold `${…}` references, split into literal text and references.
///
/// `${Kind/name.outputs.field}` and `${Kind/name@site.outputs.field}` name another
/// resource's output; `${env:NAME}` and `${file:path}` are secrets read when planning.
/// `$${` writes a literal `${`.
public struct Template: Sendable, Hashable {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case reference(ReferenceExpression)
    }

    public var segments: [Segment]

    /// Whether a string contains a reference at all (cheap pre-check).
    public static func mayContainReference(_ string: String) -> Bool {
        let hasDollar = string.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.baseAddress.map { memchr($0, Int32(UInt8(ascii: "$")), bytes.count) != nil } ?? false
        }
            ?? string.utf8.contains(UInt8(ascii: "$"))
        return hasDollar && string.contains("${")
    }

    /// Parses a string; throws a message for a malformed or unknown reference.
    public init(parsing string: String) throws(TemplateError) {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(string)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                literal += "${"
                rest = after.dropFirst(3)
                continue
            }
            guard after.hasPrefix("${") else {
                literal += "$"
                rest = after.dropFirst()
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                throw TemplateError(message: "unterminated reference '\(after)': add a closing '}' (write '$${' for a literal '${')")
            }
            let body = String(after[after.index(after.startIndex, offsetBy: 2)..<close])
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = ""
            }
            segments.append(.reference(try ReferenceExpression(parsing: body)))
            rest = after[after.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    public var references: [ReferenceExpression] {
        segments.compactMap { if case .reference(let reference) = $0 { reference } else { nil } }
    }

    /// The single reference when the whole string is exactly one `${…}`.
    public var soleReference: ReferenceExpression? {
        if segments.count == 1, case .reference(let reference) = segments[0] { return reference }
        return nil
    }
}

public struct TemplateError: Error, Sendable, Hashable {
    public var message: String
}

/// What one `${…}` names.
public enum ReferenceExpression: Sendable, Hashable, CustomStringConvertible {
    /// `Kind/name[@site].outputs.field`
    case output(kind: String, name: String, site: String?, field: String)
    case env(String)
    case file(String)

    /// The expression with a relative `${file:…}` path made relative to `directory`.
    public func resolvingFile(relativeTo directory: String?) -> ReferenceExpression {
        guard case .file(let path) = self, let directory, !path.hasPrefix("/"), !path.hasPrefix("~") else { return self }
        return .file(directory.hasSuffix("/") ? directory + path : directory + "/" + path)
    }

    public var isSecret: Bool {
        switch self {
        case .output: false
        case .env, .file: true
        }
    }

    public var description: String {
        switch self {
        case let .output(kind, name, site, field):
            "${\(kind)/\(name)\(site.map { "@" + $0 } ?? "").outputs.\(field)}"
        case .env(let name): "${env:\(name)}"
        case .file(let path): "${file:\(path)}"
        }
    }

    init(parsing body: String) throws(TemplateError) {
        if body.hasPrefix("env:") {
            let name = String(body.dropFirst(4))
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw TemplateError(message: "'${\(body)}' does not name an environment variable")
            }
            self = .env(name)
            return
        }
        if body.hasPrefix("file:") {
            let path = String(body.dropFirst(5))
            guard !path.isEmpty else { throw TemplateError(message: "'${\(body)}' does not name a file") }
            self = .file(path)
            return
        }
        let usage = "expected ${Kind/name.outputs.field}, ${Kind/name@site.outputs.field}, ${env:NAME} or ${file:path}"
        guard let marker = body.range(of: ".outputs.") else {
            throw TemplateError(message: "'${\(body)}' is not a reference: \(usage)")
        }
        let target = body[..<marker.lowerBound]
        let field = String(body[marker.upperBound...])
        guard let slash = target.firstIndex(of: "/"), !field.isEmpty else {
            throw TemplateError(message: "'${\(body)}' is not a reference: \(usage)")
        }
        let kind = String(target[..<slash])
        var name = String(target[target.index(after: slash)...])
        var site: String?
        if let at = name.firstIndex(of: "@") {
            site = String(name[name.index(after: at)...])
            name = String(name[..<at])
        }
        guard !kind.isEmpty, !name.isEmpty, site.map({ !$0.isEmpty }) ?? true else {
            throw TemplateError(message: "'${\(body)}' is not a reference: \(usage)")
        }
        self = .output(kind: kind, name: name, site: site, field: field)
    }
}
