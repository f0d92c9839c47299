import BallastTesting
import Testing
@testable import BallastCore

/// Prices from price books: every form a model can take, and never a silent zero.
@Suite("Cost estimates")
struct CostEstimatorTests {
    static let sites = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-a, labels: { tier: cloud } }
    spec: { class: cloud, provider: sim, carbon: { gridIntensity: 400, pue: 1.5 } }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-b, labels: { tier: cloud } }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-a, labels: { tier: edge } }
    spec: { class: edge, provider: sim }

    """

    static let book = """
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: cloud }
    spec:
      selector: { matchLabels: { tier: cloud } }
      currency: EUR
      hoursPerMonth: 700
      models:
        - provider: sim
          kind: VirtualMachine
          terms:
            - name: base
              perMonth: 5
            - name: vcpu
              quantity: { by: size, values: { small: 1, medium: 2 } }
              perHour: 0.01
              watts: 10
            - name: disks
              quantity: { field: "disks[].sizeGb" }
              perMonth: 0.1
              kWhPerMonth: 0.01
          multipliers:
            - field: count
        - provider: sim
          kind: Database
          terms:
            - name: instance
              perMonth: { by: engine, values: { postgres: 100, mysql: 80 } }
          multipliers:
            - field: highAvailability
              factor: 2
        - provider: sim
          kind: Bucket
          terms:
            - name: stored
              quantity: { usage: storedGb }
              perMonth: { by: storageClass, values: { standard: 0.02, archive: 0.004 } }
          usage: { storedGb: 50 }

    """

    static func estimate(_ resources: String) throws -> (DesiredState, CostEstimator) {
        let loaded = TestManifests.load(sites + book + resources)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        return (desired, CostEstimator(sites: desired.sites, priceBooks: desired.priceBooks, catalog: TestManifests.catalog))
    }

    static func cost(_ id: String, in desired: DesiredState, _ estimator: CostEstimator) throws -> CostEstimate {
        let resource = try #require(desired.resources.first { $0.id.description == id })
        return estimator.estimate(resource.id, spec: resource.spec, annotations: resource.annotations)
    }

    @Test func sumsTermsAndMultipliesByCount() throws {
        let (desired, estimator) = try Self.estimate("""
        ---
        apiVersion: ballast.dev/v1
        kind: VirtualMachine
        metadata: { name: vm, site: cloud-a }
        spec:
          image: debian-12
          size: small
          count: 3
          disks: [{ name: a, sizeGb: 100 }, { name: b, sizeGb: 20 }]

        """)
        let cost = try #require(try Self.cost("VirtualMachine/vm@cloud-a", in: desired, estimator).cost)
        // (5 + 1 × 0.01 × 700 + 120 × 0.1) × 3 = (5 + 7 + 12) × 3
        #expect(abs(cost.monthly - 72) < 1e-9)
        #expect(cost.currency == "EUR")
        // (1 × 10 W × 700 h ÷ 1000 + 120 × 0.01 kWh) × 3 = (7 + 1.2) × 3 kWh
        #expect(abs(cost.energyKWh - 24.6) < 1e-9)
        // kWh × PUE 1.5 × 400 g/kWh
        #expect(abs((cost.carbonGrams ?? 0) - 24.6 * 1.5 * 400) < 1e-6)
    }

    @Test func embodiedEmissionsAddToTheOperationalOnes() throws {
        // CCF's embodied share, M = TE × (TR ÷ EL) × (RR ÷ TR): 0.26 kg per vCPU-month here.
        let withEmbodied = Self.book.replacingOccurrences(of: "watts: 10\n", with: "watts: 10\n          embodiedKgPerMonth: { by: size, values: { small: 0.26, medium: 0.26 } }\n")
        let loaded = TestManifests.load(Self.sites + withEmbodied + """
        ---
        apiVersion: ballast.dev/v1
        kind: VirtualMachine
        metadata: { name: vm, site: cloud-a }
        spec: { image: debian-12, size: small, count: 3 }
        ---
        apiVersion: ballast.dev/v1
        kind: VirtualMachine
        metadata: { name: vm2, site: cloud-b }
        spec: { image: debian-12, size: small }

        """)
        let desired = try #require(loaded.desired, "\(messages(loaded))")
        let estimator = CostEstimator(sites: desired.sites, priceBooks: desired.priceBooks, catalog: TestManifests.catalog)
        let cost = try #require(try Self.cost("VirtualMachine/vm@cloud-a", in: desired, estimator).cost)
        // Operational (1 × 10 W × 700 h ÷ 1000) × 3 kWh × 1.5 × 400, plus 1 × 0.26 kg × 3 embodied.
        #expect(abs((cost.carbonGrams ?? 0) - (21 * 1.5 * 400 + 780)) < 1e-6)
        #expect(abs(cost.energyKWh - 21) < 1e-9, "embodied emissions are not energy")
        #expect(try Self.cost("VirtualMachine/vm2@cloud-b", in: desired, estimator).cost?.carbonGrams == nil, "without the site's carbon data the total is unknown")
    }

    @Test func aFieldLeftOutTakesItsSchemaDefault() throws {
        // size defaults to medium (2 vCPU), count to 1, no disks.
        let (desired, estimator) = try Self.estimate("""
        ---
        apiVersion: ballast.dev/v1
        kind: VirtualMachine
        metadata: { name: vm, site: cloud-b }
        spec: { image: debian-12 }

        """)
        let cost = try #require(try Self.cost("VirtualMachine/vm@cloud-b", in: desired, estimator).cost)
        #expect(abs(cost.monthly - 19) < 1e-9)
        #expect(cost.carbonGrams == nil, "cloud-b declares no carbon data")
    }

    @Test func boolMultiplierAndPricesChosenByAField() throws {
        let (desired, estimator) = try Self.estimate("""
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: plain, site: cloud-a }
        spec: { engine: mysql, sizeGb: 10 }
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: ha, site: cloud-a }
        spec: { engine: postgres, sizeGb: 10, highAvailability: true }
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: cache, site: cloud-a }
        spec: { engine: redis, sizeGb: 1 }

        """)
        #expect(try Self.cost("Database/plain@cloud-a", in: desired, estimator).cost?.monthly == 80)
        #expect(try Self.cost("Database/ha@cloud-a", in: desired, estimator).cost?.monthly == 200)
        let redis = try Self.cost("Database/cache@cloud-a", in: desired, estimator)
        guard case .unpriced(let reason) = redis else { Issue.record("a redis database has no price here, yet got \(redis)"); return }
        #expect(reason.contains("engine 'redis' has no price"), "\(reason)")
    }

    @Test func usageComesFromTheResourceOrTheBook() throws {
        let (desired, estimator) = try Self.estimate("""
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: default, site: cloud-a }
        spec: {}
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: own, site: cloud-a, annotations: { usage.ballast.dev/storedGb: "1000" } }
        spec: { storageClass: archive }
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: bad, site: cloud-a, annotations: { usage.ballast.dev/storedGb: "lots" } }
        spec: {}

        """)
        #expect(try Self.cost("Bucket/default@cloud-a", in: desired, estimator).cost?.monthly == 1)
        #expect(try Self.cost("Bucket/own@cloud-a", in: desired, estimator).cost?.monthly == 4)
        guard case .unpriced(let reason) = try Self.cost("Bucket/bad@cloud-a", in: desired, estimator) else {
            Issue.record("a usage annotation that is not a number must leave the bucket unpriced"); return
        }
        #expect(reason.contains("'lots'"))
    }

    @Test func uncoveredSitesAndUnlistedKindsAreUnpricedNeverZero() throws {
        let (desired, estimator) = try Self.estimate("""
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: edge, site: edge-a }
        spec: {}
        ---
        apiVersion: ballast.dev/v1
        kind: Network
        metadata: { name: net, site: cloud-a }
        spec: { cidr: 10.0.0.0/16 }

        """)
        guard case .unpriced(let site) = try Self.cost("Bucket/edge@edge-a", in: desired, estimator),
              case .unpriced(let kind) = try Self.cost("Network/net@cloud-a", in: desired, estimator) else {
            Issue.record("resources without a price must be unpriced"); return
        }
        #expect(site == "no price book covers site 'edge-a'")
        #expect(kind == "no price book covering site 'cloud-a' lists sim Network")
        let report = CostReport(desired: desired, catalog: TestManifests.catalog, by: .site)
        #expect(report.unpriced.map(\.id.description) == ["Bucket/edge@edge-a", "Network/net@cloud-a"])
        #expect(report.rows.isEmpty)
    }

    @Test func aNamedSiteBeatsASelectorAndEqualBooksConflict() throws {
        let named = """
        ---
        apiVersion: ballast.dev/v1
        kind: PriceBook
        metadata: { name: cloud-a-only }
        spec:
          sites: [cloud-a]
          currency: USD
          models:
            - provider: sim
              kind: Database
              terms: [{ name: flat, perMonth: 7 }]
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: db, site: cloud-a }
        spec: { engine: mysql, sizeGb: 1 }

        """
        let (desired, estimator) = try Self.estimate(named)
        let cost = try #require(try Self.cost("Database/db@cloud-a", in: desired, estimator).cost)
        #expect(cost.monthly == 7 && cost.currency == "USD" && cost.priceBook == "cloud-a-only")

        let tied = TestManifests.load(Self.sites + Self.book + named.replacingOccurrences(of: "sites: [cloud-a]", with: "selector: { matchLabels: { tier: cloud } }"))
        #expect(tied.desired == nil)
        let messages = messages(tied).map { String($0.split(separator: ": ", maxSplits: 1).last ?? "") }
        #expect(messages.contains("PriceBooks 'cloud' and 'cloud-a-only' both price sim Database on site 'cloud-a': name the site in one of them, or narrow a selector"), "\(messages)")
    }

    @Test func totalsKeepCurrenciesApart() {
        let euro = CostEstimate.priced(ResourceCost(currency: "EUR", monthly: 10, energyKWh: 1, carbonGrams: 500, priceBook: "a"))
        let dollar = CostEstimate.priced(ResourceCost(currency: "USD", monthly: 4, energyKWh: 1, carbonGrams: nil, priceBook: "b"))
        let totals = CostTotals([
            CostChange(before: nil, after: euro),
            CostChange(before: dollar, after: nil),
            CostChange(before: nil, after: .unpriced(reason: "no book")),
        ])
        #expect(totals.summaryLine == "Cost: +€10.00/mo (€0.00 → €10.00), -$4.00/mo ($4.00 → $0.00); carbon +0.5 kgCO2e/mo (1 resource on sites without carbon data); 1 resource unpriced")
    }

    @Test func amountsAreWrittenTheSameEverywhere() {
        #expect(MoneyText.amount(1204.5, currency: "EUR") == "€1,204.50")
        #expect(MoneyText.amount(-0.004, currency: "USD", signed: true) == "+$0.00")
        #expect(MoneyText.amount(1_000_000, currency: "CHF", signed: true) == "+CHF 1,000,000.00")
        #expect(MoneyText.carbon(grams: 18_240, signed: true) == "+18.2 kgCO2e")
        #expect(DecimalText.plain(0.031611) == "0.031611")
        #expect(DecimalText.plain(730) == "730")
    }
}
