import BallastCore
import BallastProviders

/// The kinds the simulated provider serves: cloud, data-centre and edge building blocks.
enum SimSchema {
    static let providerName = "sim"

    static func id(_ summary: String = "Provider-assigned id.") -> FieldSchema {
        FieldSchema("id", .string, computed: true, summary: summary)
    }

    static let tags = FieldSchema("tags", .map(.string), summary: "Free-form tags.")

    static let kinds: [KindSchema] = [
        KindSchema(kind: "Network", summary: "A virtual network (VPC, VLAN).", fields: [
            FieldSchema("cidr", .string, required: true, immutable: true, summary: "Address range, such as 10.0.0.0/16."),
            FieldSchema("description", .string),
            tags,
        ], outputs: [id(), FieldSchema("networkId", .string, computed: true)]),
        KindSchema(kind: "Subnet", summary: "A subnet of a network.", fields: [
            FieldSchema("network", .string, required: true, immutable: true, summary: "The network id, usually ${Network/x.outputs.networkId}."),
            FieldSchema("cidr", .string, required: true, immutable: true),
            FieldSchema("zone", .string, immutable: true),
            FieldSchema("public", .bool, default: .bool(false)),
            tags,
        ], outputs: [id(), FieldSchema("subnetId", .string, computed: true)]),
        KindSchema(kind: "VirtualMachine", summary: "A virtual machine.", fields: [
            FieldSchema("image", .string, required: true, immutable: true, summary: "Boot image; changing it replaces the machine."),
            FieldSchema("size", .string, allowed: ["small", "medium", "large", "xlarge"], default: .string("medium")),
            FieldSchema("subnet", .string, immutable: true),
            FieldSchema("count", .int, default: .int(1), range: 0...10_000),
            FieldSchema("userData", .string, sensitive: true, summary: "Cloud-init; redacted in every output."),
            FieldSchema("disks", .list(.object([
                FieldSchema("name", .string, required: true),
                FieldSchema("sizeGb", .int, required: true, range: 1...1_048_576),
            ]))),
            tags,
        ], outputs: [id(), FieldSchema("ip", .string, computed: true)]),
        KindSchema(kind: "Database", summary: "A managed database.", fields: [
            FieldSchema("engine", .string, required: true, allowed: ["postgres", "mysql", "mariadb", "redis"], immutable: true),
            FieldSchema("version", .string),
            FieldSchema("sizeGb", .int, required: true, range: 1...1_048_576),
            FieldSchema("subnet", .string, immutable: true),
            FieldSchema("password", .string, sensitive: true),
            FieldSchema("backups", .object([
                FieldSchema("enabled", .bool, default: .bool(true)),
                FieldSchema("retentionDays", .int, default: .int(7), range: 0...3650),
            ])),
            FieldSchema("highAvailability", .bool, default: .bool(false)),
            tags,
        ], outputs: [id(), FieldSchema("endpoint", .string, computed: true), FieldSchema("port", .int, computed: true)]),
        KindSchema(kind: "Bucket", summary: "An object storage bucket.", fields: [
            FieldSchema("versioning", .bool, default: .bool(false)),
            FieldSchema("publicAccess", .bool, default: .bool(false)),
            FieldSchema("lifecycleDays", .int, range: 1...36_500),
            FieldSchema("storageClass", .string, allowed: ["standard", "infrequent", "archive"], default: .string("standard")),
            tags,
        ], outputs: [id(), FieldSchema("url", .string, computed: true)]),
        KindSchema(kind: "LoadBalancer", summary: "A layer-4/7 load balancer.", fields: [
            FieldSchema("subnet", .string, immutable: true),
            FieldSchema("port", .int, required: true, range: 1...65_535),
            FieldSchema("protocol", .string, allowed: ["http", "https", "tcp"], default: .string("http")),
            FieldSchema("targets", .list(.string), summary: "Backend addresses."),
            FieldSchema("certificate", .string, sensitive: true),
            tags,
        ], outputs: [id(), FieldSchema("address", .string, computed: true), FieldSchema("dnsName", .string, computed: true)]),
        KindSchema(kind: "DNSRecord", summary: "A record in a DNS zone.", fields: [
            FieldSchema("zone", .string, required: true, immutable: true),
            FieldSchema("record", .string, required: true, immutable: true, summary: "The record name inside the zone."),
            FieldSchema("type", .string, required: true, allowed: ["A", "AAAA", "CNAME", "TXT", "MX"]),
            FieldSchema("value", .string, required: true),
            FieldSchema("ttl", .int, default: .int(300), range: 0...2_147_483_647),
        ], outputs: [id(), FieldSchema("fqdn", .string, computed: true)], relocatable: true),
        KindSchema(kind: "Workload", summary: "A containerised workload.", fields: [
            FieldSchema("image", .string, required: true),
            FieldSchema("replicas", .int, default: .int(1), range: 0...10_000),
            FieldSchema("port", .int, range: 1...65_535),
            FieldSchema("env", .map(.string), summary: "Environment variables."),
            FieldSchema("secretEnv", .map(.string), sensitive: true, summary: "Secret environment variables; redacted."),
            FieldSchema("resources", .object([
                FieldSchema("cpu", .string),
                FieldSchema("memory", .string),
            ])),
            FieldSchema("placement", .object([]), summary: "Reserved: spec.placement chooses the sites."),
        ].filter { $0.name != "placement" }, outputs: [id(), FieldSchema("endpoint", .string, computed: true)], relocatable: true),
        KindSchema(kind: "EdgeFunction", summary: "A function run at edge locations.", fields: [
            FieldSchema("runtime", .string, required: true, allowed: ["javascript", "wasm"], immutable: true),
            FieldSchema("code", .string, required: true, summary: "Source or artifact reference."),
            FieldSchema("routes", .list(.string)),
            FieldSchema("memoryMb", .int, default: .int(128), range: 1...1_048_576),
            FieldSchema("env", .map(.string)),
        ], outputs: [id(), FieldSchema("url", .string, computed: true)], relocatable: true),
    ]

    static let siteConfig: [FieldSchema] = [
        FieldSchema("latencyMs", .int, default: .int(0), range: 0...600_000, summary: "Delay added to every call, in milliseconds."),
        FieldSchema("failureRate", .number, default: .number(0), range: 0...1, summary: "Probability (0 to 1) that a create, update or delete fails with a retryable error."),
        FieldSchema("outage", .bool, default: .bool(false), summary: "The site is unreachable: every call fails as unavailable."),
        FieldSchema("region", .string, summary: "Informational."),
    ]

    static var schema: ProviderSchema {
        ProviderSchema(provider: providerName, kinds: kinds, siteConfig: siteConfig)
    }
}
