import BallastCore
import Foundation

/// An edge agent's report (protocol version ``SiteBundle/protocolVersion``), read and checked:
/// the one place the hub reads one, whether it just arrived or another replica stored it.
public struct AgentReportDocument: Sendable {
    /// The agent process that sent it (host, pid, start time).
    public var instance: String?
    public var appliedGeneration: Int64?
    public var error: String?
    /// Conditions as the agent reported them, every one on the site.
    public var resources: [ResourceStatus]
    /// Outputs as the agent reported them, every one on the site.
    public var outputs: [ResourceID: Fields]
    /// The schemas of the plugins the agent has, by provider name (`plugin:…`): the hub takes
    /// the one its site uses when it has no such plugin itself (``ReportedProviderSchemas``).
    /// A malformed one is left out, not an error: the hub then validates as if none came.
    public var schemas: [String: ProviderSchema] = [:]

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a report for `site`; refuses another protocol version, another site, or a resource
    /// that is not on `site`.
    public init(_ text: String, site: String) throws(Invalid) {
        guard case .map(let fields)? = try? JSONValueParser.parse(text) else { throw Invalid(description: "the report must be a JSON object") }
        guard fields["protocolVersion"]?.intValue == SiteBundle.protocolVersion else {
            throw Invalid(description: "this hub speaks agent protocol version \(SiteBundle.protocolVersion)")
        }
        guard fields["site"]?.stringValue == site else { throw Invalid(description: "the report is for another site than '\(site)'") }
        var resources: [ResourceStatus] = []
        if case .list(let items)? = fields["resources"] {
            for item in items {
                guard let status = ResourceStatus.decode(item) else { throw Invalid(description: "a resource status in the report cannot be read") }
                guard status.id.site == site else { throw Invalid(description: "the report names \(status.id), which is not on '\(site)'") }
                resources.append(status)
            }
        }
        var outputs: [ResourceID: Fields] = [:]
        if case .map(let reported)? = fields["outputs"] {
            for entry in reported {
                guard let id = ResourceID(parsing: entry.key), id.site == site, case .map(let values) = entry.value else {
                    throw Invalid(description: "the report's outputs name '\(entry.key)', which is not a resource on '\(site)'")
                }
                outputs[id] = values
            }
        }
        self.resources = resources
        self.outputs = outputs
        if case .map(let reported)? = fields["schemas"] {
            for entry in reported where entry.key.hasPrefix("plugin:") {
                let name = entry.key
                if let schema = try? ProviderSchemaJSON.decode(entry.value, provider: name, origin: "the schema of \(name) that the agent of '\(site)' reported") {
                    schemas[name] = schema
                }
            }
        }
        instance = fields["instance"]?.stringValue
        appliedGeneration = fields["appliedGeneration"]?.intValue.map(Int64.init)
        error = fields["error"]?.stringValue
    }
}
