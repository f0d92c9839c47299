/// A deterministic generator of realistic Ballast manifests for benchmarks and load tests.
///
/// The same arguments always give the same text. Resources cycle through the sim kinds with
/// labels, annotations, nested objects and lists; about one in eight references an earlier
/// resource on the same site, so the graph has depth.
public enum ManifestCorpus {
    public static func generate(resources: Int, sites: Int = 6, latencyMs: Int = 0, seed: UInt64 = 42) -> String {
        var random = SeededGenerator(seed: seed)
        var out = ""
        out.reserveCapacity(resources * 720 + sites * 200)
        for index in 0..<sites {
            out += """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata:
              name: site-\(index)
              labels: { class: \(["cloud", "datacenter", "edge"][index % 3]), region: r\(index % 2) }
            spec:
              class: \(["cloud", "datacenter", "edge"][index % 3])
              provider: sim
              config: { latencyMs: \(latencyMs) }
            ---

            """
        }
        var networks: [Int: Int] = [:]
        for index in 0..<resources {
            let site = Int(random.next() % UInt64(sites))
            let team = ["payments", "search", "platform", "data", "edge"][Int(random.next() % 5)]
            out += """
            apiVersion: ballast.dev/v1
            kind: \(kind(index))
            metadata:
              name: res-\(index)
              site: site-\(site)
              labels:
                team: \(team)
                tier: "\(index % 3)"
                app: app-\(index % 97)
              annotations:
                owner: "\(team)@example.com"
                ticket: OPS-\(1000 + index)

            """
            out += spec(index, site: site, random: &random, networks: &networks)
            out += "---\n"
        }
        // Separators between documents only: no empty document at the end.
        if out.hasSuffix("---\n") { out.removeLast(4) }
        return out
    }

    static func kind(_ index: Int) -> String {
        ["Network", "Bucket", "Database", "VirtualMachine", "Workload", "DNSRecord", "EdgeFunction", "LoadBalancer"][index % 8]
    }

    private static func spec(_ index: Int, site: Int, random: inout SeededGenerator, networks: inout [Int: Int]) -> String {
        let reference = networks[site].map { "${Network/res-\($0).outputs.networkId}" }
        let linked = random.next() % 8 == 0 ? reference : nil
        switch kind(index) {
        case "Network":
            networks[site] = index
            return """
            spec:
              cidr: 10.\(index % 250).0.0/16
              description: "Network number \(index) for site \(site)"
              tags: { cost-center: cc-\(index % 40), environment: production }

            """
        case "Bucket":
            return """
            spec:
              versioning: \(index % 2 == 0)
              publicAccess: false
              lifecycleDays: \(30 + index % 300)
              storageClass: \(["standard", "infrequent", "archive"][index % 3])
              tags:
                purpose: "bucket \(index)"
                retention: long

            """
        case "Database":
            return """
            spec:
              engine: \(["postgres", "mysql", "mariadb"][index % 3])
              version: "\(12 + index % 5)"
              sizeGb: \(10 + index % 500)
              highAvailability: \(index % 4 == 0)
              backups:
                enabled: true
                retentionDays: \(7 + index % 21)
              tags: { team: data, tier: gold }

            """
        case "VirtualMachine":
            return """
            spec:
              image: debian-12-v\(20260000 + index % 100)
              size: \(["small", "medium", "large", "xlarge"][index % 4])
              count: \(1 + index % 3)
            \(linked.map { "  subnet: \"\($0)\"\n" } ?? "")  disks:
                - name: root
                  sizeGb: 20
                - name: data
                  sizeGb: \(50 + index % 450)

            """
        case "Workload":
            return """
            spec:
              image: registry.example.com/service-\(index % 50):1.\(index % 20).0
              replicas: \(1 + index % 5)
              port: \(8000 + index % 1000)
              env:
                LOG_LEVEL: info
                REGION: r\(site % 2)
              resources: { cpu: \(100 * (1 + index % 8))m, memory: \(128 * (1 + index % 8))Mi }

            """
        case "DNSRecord":
            return """
            spec:
              zone: example.com
              record: host-\(index)
              type: \(linked == nil ? "A" : "TXT")
              value: \(linked.map { "\"\($0)\"" } ?? "\"192.0.2.\(index % 250)\"")
              ttl: \(60 * (1 + index % 10))

            """
        case "EdgeFunction":
            return """
            spec:
              runtime: \(index % 2 == 0 ? "wasm" : "javascript")
              code: oci://registry.example.com/fn-\(index % 30):\(index % 9)
              routes: ["/api/v\(index % 3)/*", "/fn/\(index)"]
              memoryMb: \(128 * (1 + index % 4))

            """
        default:
            return """
            spec:
              port: \(index % 2 == 0 ? 443 : 80)
              protocol: \(index % 2 == 0 ? "https" : "http")
              targets: ["10.0.\(index % 250).10", "10.0.\(index % 250).11"]
            \(linked.map { "  subnet: \"\($0)\"\n" } ?? "")  tags: { service: lb-\(index % 60) }

            """
        }
    }
}
