import BallastCore
import BallastProviders
import Foundation

/// What `list` finds under a host site's root, and the names of what Ballast did not write.
///
/// A file or empty directory Ballast did not write has no name of its own; it is listed as
/// `File/SLUG-HASH` (or `Directory/…`): the slug is its path relative to the root, made a
/// DNS label, and the hash the first 8 hexadecimal digits of SHA-256 of `KIND:PATH`, so that
/// the name is stable and two paths never share it in practice. `import` adopts it by that
/// name; observe and delete find it again by the same rule until Ballast writes it once.
enum HostListing {
    /// The name of an unmanaged file or directory at `relative` (to the root).
    static func name(kind: String, relative: String) -> String {
        let digest = SpecDigest.digest("\(kind):\(relative)")
        var slug = ""
        for scalar in relative.lowercased().unicodeScalars {
            let ascii = scalar.isASCII && (("a"..."z").contains(Character(scalar)) || ("0"..."9").contains(Character(scalar)))
            if ascii { slug.unicodeScalars.append(scalar) } else if !slug.hasSuffix("-") { slug += "-" }
        }
        slug = String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(54)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return (slug.isEmpty ? kind.lowercased() : slug) + "-" + digest.prefix(8)
    }

    /// Whether a name is of the form ``name(kind:relative:)`` makes.
    static func isGenerated(_ name: String) -> Bool {
        let suffix = name.suffix(9)
        return suffix.count == 9 && suffix.first == "-" && suffix.dropFirst().allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The script's output read back: every resource under the root, sorted by id.
    static func parse(_ output: String, site: String) -> [Observed] {
        var root = ""
        var written: [String: ResourceID] = [:]
        var found: [ResourceID: Observed] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            switch parts.first {
            case "root" where parts.count == 2:
                root = decode(parts[1]) ?? ""
            case "idx" where parts.count == 3:
                let base = parts[1]
                guard let dot = base.firstIndex(of: "."), let target = decode(parts[2]) else { continue }
                written[target] = ResourceID(kind: String(base[..<dot]), name: String(base[base.index(after: dot)...]), site: site)
            case "file" where parts.count == 3, "dir" where parts.count == 3:
                guard let relative = decode(parts[2]), !relative.isEmpty else { continue }
                let kind = parts[0] == "file" ? "File" : "Directory"
                let id = written[root + "/" + relative].flatMap { $0.kind == kind ? $0 : nil }
                    ?? ResourceID(kind: kind, name: name(kind: kind, relative: relative), site: site)
                found[id] = Observed(id: id, spec: Fields(["path": .string(relative), "mode": .string(HostScripts.mode(parts[1]))]), revision: HostScripts.mode(parts[1]))
            case "proc" where parts.count == 4:
                let id = ResourceID(kind: "Process", name: parts[1], site: site)
                if let observed = HostScripts.parse([parts[0], "proc", parts[2], parts[3]], id: id) { found[id] = observed }
            default:
                continue
            }
        }
        return found.values.sorted { $0.id < $1.id }
    }

    private static func decode(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }
}
