import Crypto

/// What the inventory remembers of the input a resource was last applied from: the digest of
/// its spec as written and, when the spec uses secrets (`${env:…}`, `${file:…}`), a keyed digest
/// of their values.
///
/// The second part tells a rotated secret (a change of input, planned as `secret-changed`) from
/// drift (the world changed; planned as `drifted`), which are otherwise alike: the spec as
/// written is the same and the world differs from it. It is an HMAC under the state's plan key,
/// so the inventory cannot be used to confirm a guessed secret.
public enum AppliedInput {
    public static func digest(_ resource: DesiredResource, secrets: [ReferenceExpression: String], key: [UInt8]) -> String {
        let spec = SpecDigest.digest(resource.spec)
        let values = secretValues(resource, secrets: secrets)
        guard !values.isEmpty else { return spec }
        var mac = HMAC<SHA256>(key: SymmetricKey(data: key.isEmpty ? [0] : key))
        for (expression, value) in values {
            mac.update(data: Array("\(expression)\u{0}\(value)\u{0}".utf8))
        }
        return spec + "+" + SpecDigest.hex(mac.finalize())
    }

    /// The spec part of a digest from ``digest(_:secrets:key:)``.
    public static func specPart(_ digest: String) -> Substring {
        digest.split(separator: "+", maxSplits: 1).first ?? Substring(digest)
    }

    /// The secrets the resource's templates use, with their values, sorted.
    static func secretValues(_ resource: DesiredResource, secrets: [ReferenceExpression: String]) -> [(String, String)] {
        guard !resource.templatePaths.isEmpty else { return [] }
        var values: [String: String] = [:]
        for path in resource.templatePaths {
            guard case .string(let text)? = SpecPaths.value(at: path, in: resource.spec), let template = try? Template(parsing: text) else { continue }
            for written in template.references where written.isSecret {
                let expression = written.resolvingFile(relativeTo: resource.sourceDirectory)
                values["\(expression)"] = secrets[expression] ?? ""
            }
        }
        return values.sorted { $0.key < $1.key }
    }
}
