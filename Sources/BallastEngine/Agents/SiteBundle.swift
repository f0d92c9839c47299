import BallastCore
import Foundation

/// What the hub sends a pull site's agent: the site and its resources as manifest documents,
/// self-contained. The agent loads and validates them like any manifests, and its own watch
/// loop plans, applies, heals and prunes them.
///
/// - References to other sites' outputs are filled in with the values the hub knows; a
///   resource whose reference is not known yet holds the whole site's bundle back (``waiting``),
///   so that an agent never receives a bundle that leaves a declared resource out.
/// - References within the site stay as written: the agent resolves them.
/// - Secret references (`${env:…}`, `${file:…}`) stay as written, file paths made absolute;
///   their values travel beside the documents (``secretReferences``) only in the answer to the
///   site's own agent, and are never stored.
public struct SiteBundle: Sendable, Hashable {
    /// The version of the hub–agent protocol this bundle is written in.
    public static let protocolVersion = 1

    public var site: String
    /// The documents, as JSON values (a YAML file of JSON flow documents to the agent).
    public var documents: [Value]
    /// The secret references the documents hold, each as written in them.
    public var secretReferences: [ReferenceExpression]
    /// Why the bundle cannot be made now: outputs of other sites not known yet. Empty when it can.
    public var waiting: [String]

    /// The bundle of pull site `site` in `desired`; `outputs` gives the known outputs of resources
    /// on other sites (the hub's inventory, agents' reports).
    public static func make(site name: String, desired: DesiredState, outputs: (ResourceID) -> Fields?) -> SiteBundle {
        make(site: desired.sites[name], named: name, resources: desired.resources.filter { $0.id.site == name }, outputs: outputs)
    }

    /// The bundle of `site` with its `resources` (in the desired state's order), for a caller
    /// that grouped the resources by site once for every site.
    public static func make(site: Site?, named name: String, resources: [DesiredResource], outputs: (ResourceID) -> Fields?) -> SiteBundle {
        var documents: [Value] = []
        var secrets = Set<ReferenceExpression>()
        var waiting: [String] = []
        if let site {
            documents.append(siteDocument(site))
        }
        for resource in resources {
            var waitedFor = Set<ResourceID>()
            var spec = escapingLiterals(resource.spec, keeping: Set(resource.templatePaths))
            for path in resource.templatePaths {
                guard case .string(let text)? = SpecPaths.value(at: path, in: resource.spec), let template = try? Template(parsing: text) else { continue }
                var written = ""
                var whole: Value?
                for segment in template.segments {
                    switch segment {
                    case .literal(let literal):
                        written += literal.replacingOccurrences(of: "${", with: "$${")
                    case .reference(let expression):
                        switch expression {
                        case .env, .file:
                            let absolute = expression.resolvingFile(relativeTo: resource.sourceDirectory)
                            secrets.insert(absolute)
                            written += absolute.description
                        case .output(let kind, let targetName, let site, let field):
                            let key = "\(kind)/\(targetName)" + (site.map { "@" + $0 } ?? "")
                            guard let target = resource.referenceTargets[key], target.site != name else {
                                written += expression.description
                                continue
                            }
                            guard let value = outputs(target)?[field] else {
                                waitedFor.insert(target)
                                waiting.append("\(resource.id) spec.\(path) waits for \(target)'s output '\(field)'")
                                continue
                            }
                            if template.soleReference != nil { whole = value }
                            written += escapingLiterals(SpecResolver.text(value))
                        }
                    }
                }
                SpecResolver.set(whole.map { escapingLiterals($0) } ?? .string(written), at: path, in: &spec)
            }
            var dependsOn: [Value] = []
            for dependency in resource.dependencies {
                if dependency.site == name {
                    dependsOn.append(.string(dependency.unplaced))
                } else if outputs(dependency) == nil, !waitedFor.contains(dependency) {
                    waiting.append("\(resource.id) waits for \(dependency), which does not exist yet")
                }
            }
            var metadata = Fields(["name": .string(resource.id.name), "site": .string(name)])
            if !resource.labels.isEmpty { metadata["labels"] = .map(Fields(resource.labels.map { ($0.key, Value.string($0.value)) })) }
            if !resource.annotations.isEmpty { metadata["annotations"] = .map(Fields(resource.annotations.map { ($0.key, Value.string($0.value)) })) }
            if !dependsOn.isEmpty { metadata["dependsOn"] = .list(dependsOn) }
            documents.append(.map(Fields([
                "apiVersion": .string("ballast.dev/v1"), "kind": .string(resource.id.kind), "metadata": .map(metadata),
                "spec": .map(spec), "policy": policyDocument(resource.policy),
            ])))
        }
        return SiteBundle(site: name, documents: documents, secretReferences: secrets.sorted { $0.description < $1.description }, waiting: waiting.sorted())
    }

    /// The bundle as the state store keeps it: JSON, no secret values.
    public var payload: String {
        JSONText.string(.map(Fields([
            "protocolVersion": .int(Self.protocolVersion), "site": .string(site), "documents": .list(documents),
            "secretReferences": .list(secretReferences.map { .string($0.description) }),
        ])))
    }

    /// Identifies the bundle with the values of its secrets: a rotated secret is a new
    /// revision. The secrets are keyed with the state's plan key, never hashed bare.
    public func digest(secrets: [ReferenceExpression: String], key: [UInt8]) -> String {
        let used = Dictionary(uniqueKeysWithValues: secretReferences.compactMap { reference in secrets[reference].map { (reference, $0) } })
        return SpecDigest.digest(payload + "\n" + Planner.secretsDigest(used, key: key))
    }

    static func siteDocument(_ site: Site) -> Value {
        var metadata = Fields(["name": .string(site.name)])
        if !site.labels.isEmpty { metadata["labels"] = .map(Fields(site.labels.map { ($0.key, Value.string($0.value)) })) }
        // On the agent's machine the site is pushed to by the agent itself: no mode.
        var spec = Fields(["class": .string(site.siteClass.rawValue), "provider": .string(site.provider)])
        if !site.config.isEmpty { spec["config"] = .map(site.config) }
        return .map(Fields(["apiVersion": .string("ballast.dev/v1"), "kind": .string("Site"), "metadata": .map(metadata), "spec": .map(spec)]))
    }

    static func policyDocument(_ policy: Policy) -> Value {
        .map(Fields([
            "preventDestroy": .bool(policy.preventDestroy), "ignoreChanges": .list(policy.ignoreChanges.map(Value.string)),
            "deletion": .string(policy.deletion.rawValue), "management": .string(policy.management.rawValue),
            "selfHeal": .bool(policy.selfHeal), "prune": .bool(policy.prune),
        ]))
    }

    /// Strings that are not templates but hold `${` (a file's text read into the spec) are
    /// written `$${`, so that the agent reads them as the same text, not as references.
    static func escapingLiterals(_ fields: Fields, keeping templatePaths: Set<String>, prefix: String = "") -> Fields {
        var result = fields
        for (key, value) in fields.map({ ($0.key, $0.value) }) {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if templatePaths.contains(path) { continue }
            result[key] = escapingLiterals(value, keeping: templatePaths, path: path)
        }
        return result
    }

    static func escapingLiterals(_ value: Value, keeping templatePaths: Set<String> = [], path: String = "") -> Value {
        switch value {
        case .string(let text): .string(escapingLiterals(text))
        case .map(let fields): .map(escapingLiterals(fields, keeping: templatePaths, prefix: path))
        case .list(let items): .list(items.enumerated().map { index, item in escapingLiterals(item, keeping: templatePaths, path: "\(path)[\(index)]") })
        default: value
        }
    }

    static func escapingLiterals(_ text: String) -> String {
        text.contains("${") ? text.replacingOccurrences(of: "${", with: "$${") : text
    }
}
