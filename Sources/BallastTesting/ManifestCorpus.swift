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

extension ManifestCorpus {
    /// An estate laid out as a team's GitOps repository is: `sites.yaml`, then `FILES` files in
    /// one folder per team (`teams/TEAM/APP-N.yaml`), each starting with a comment block. The
    /// documents are written the ways people write them: comments between fields, flow maps for
    /// tags, block and folded multi-line strings, long label sets and annotations, quoted and
    /// plain scalars; 400 to 800 bytes each. Deterministic, like ``generate(resources:sites:latencyMs:seed:)``.
    public static func generateTree(resources: Int, files: Int, sites: Int = 17, seed: UInt64 = 7) -> [(path: String, text: String)] {
        var random = SeededGenerator(seed: seed)
        let teams = ["payments", "search", "platform", "data", "edge", "identity", "media", "growth", "ops", "ml"]
        var out: [(path: String, text: String)] = []
        var sitesText = "# The sites of the estate: one per region and class.\n"
        for index in 0..<sites {
            let siteClass = ["cloud", "datacenter", "edge"][index % 3]
            sitesText += """
            ---
            apiVersion: ballast.dev/v1
            kind: Site
            metadata:
              name: site-\(index)
              labels: { class: \(siteClass), region: r\(index % 4), zone: "z\(index % 3)" }
            spec:
              class: \(siteClass)
              provider: sim   # simulated; swap for aws or host per site

            """
        }
        out.append(("sites.yaml", sitesText))
        let fileCount = max(1, files)
        var index = 0
        for file in 0..<fileCount {
            let team = teams[file % teams.count]
            let app = "app-\(file / teams.count)"
            var text = """
            # Owned by the \(team) team. Reviewed in #\(team)-infra.
            # Changes here are applied by the platform's reconciler; do not edit by hand
            # in the console.

            """
            let count = resources / fileCount + (file < resources % fileCount ? 1 : 0)
            for _ in 0..<count {
                let site = Int(random.next() % UInt64(sites))
                text += "---\n" + document(index, team: team, app: app, site: site, random: &random)
                index += 1
            }
            out.append(("teams/\(team)/\(app)-\(file).yaml", text))
        }
        return out
    }

    private static func document(_ index: Int, team: String, app: String, site: Int, random: inout SeededGenerator) -> String {
        let style = Int(random.next() % 4)
        let labels = style == 0
            ? "  labels: { team: \(team), app: \(app), tier: \"\(index % 3)\", env: production, cost-center: cc-\(index % 40) }\n"
            : """
              labels:
                team: \(team)
                app: \(app)
                tier: "\(index % 3)"
                env: production
                cost-center: cc-\(index % 40)
                owner: \(team)-oncall
                data-class: \(["public", "internal", "confidential"][index % 3])
                managed-by: ballast

            """
        let annotations = """
          annotations:
            ballast.dev/ticket: "OPS-\(1000 + index)"
            description: >-
              \(kind(index)) \(index) serves \(app) for the \(team) team;
              see the runbook before changing it.

        """
        let header = """
        apiVersion: ballast.dev/v1
        kind: \(kind(index))
        metadata:
          name: \(team)-\(app)-\(index)
          site: site-\(site)   # placed by hand
        \(labels)\(annotations)
        """
        switch kind(index) {
        case "Network":
            return header + """
            spec:
              cidr: 10.\(index % 250).\(index / 250 % 250).0/24
              # Free text for people.
              description: |
                Network \(index) of \(app).
                Peered with the shared services network.
              tags: {cost-center: cc-\(index % 40), environment: production}

            """
        case "Bucket":
            return header + """
            spec: {versioning: \(index % 2 == 0), publicAccess: false, lifecycleDays: \(30 + index % 300), storageClass: \(["standard", "infrequent", "archive"][index % 3])}

            """
        case "Database":
            return header + """
            spec:
              engine: \(["postgres", "mysql", "mariadb"][index % 3])
              version: '\(12 + index % 5)'
              sizeGb: \(10 + index % 500)
              highAvailability: \(index % 4 == 0)
              backups: {enabled: true, retentionDays: \(7 + index % 21)}
              tags:
                team: \(team)

            """
        case "VirtualMachine":
            return header + """
            spec:
              image: debian-12-v\(20260000 + index % 100)
              size: \(["small", "medium", "large", "xlarge"][index % 4])
              count: \(1 + index % 3)
              userData: |
                #cloud-config
                packages: [nginx]
              disks:
                - {name: root, sizeGb: 20}
                - name: data
                  sizeGb: \(50 + index % 450)

            """
        case "Workload":
            return header + """
            spec:
              image: "registry.example.com/\(team)/service-\(index % 50):1.\(index % 20).0"
              replicas: \(1 + index % 5)
              port: \(8000 + index % 1000)
              env:
                LOG_LEVEL: info   # debug in staging only
                FEATURE_FLAGS: "a,b,c"
              resources: {cpu: \(100 * (1 + index % 8))m, memory: \(128 * (1 + index % 8))Mi}

            """
        case "DNSRecord":
            return header + """
            spec:
              zone: example.com
              record: host-\(index)
              type: A
              value: "192.0.2.\(index % 250)"
              ttl: \(60 * (1 + index % 10))

            """
        case "EdgeFunction":
            return header + """
            spec:
              runtime: \(index % 2 == 0 ? "wasm" : "javascript")
              code: oci://registry.example.com/fn-\(index % 30):\(index % 9)
              routes:
                - /api/v\(index % 3)/*
                - "/fn/\(index)"
              memoryMb: \(128 * (1 + index % 4))

            """
        default:
            return header + """
            spec:
              port: \(index % 2 == 0 ? 443 : 80)
              protocol: \(index % 2 == 0 ? "https" : "http")
              targets: ["10.0.\(index % 250).10", "10.0.\(index % 250).11"]
              tags: { service: lb-\(index % 60) }

            """
        }
    }
}
