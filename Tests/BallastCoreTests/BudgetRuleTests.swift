import BallastTesting
import Testing
@testable import BallastCore

/// The one rule for budgets: a plan breaks a limit when its changes (not its heals) take the
/// total over the limit and above where it was.
@Suite("Budget rule")
struct BudgetRuleTests {
    static let sites = ["a": Site(name: "a", siteClass: .cloud, provider: "sim", labels: ["tier": "cloud"]), "b": Site(name: "b", siteClass: .edge, provider: "sim")]

    static func action(_ id: String, _ reason: ActionReason = .changed, before: Double?, after: Double?, currency: String = "EUR") -> PlannedAction {
        func side(_ amount: Double?) -> CostEstimate? {
            amount.map { .priced(ResourceCost(currency: currency, monthly: $0, energyKWh: 0, carbonGrams: $0 * 1000, priceBook: "p")) }
        }
        var action = PlannedAction(id: ResourceID(parsing: id)!, action: .update, reason: reason, layer: 0, observedRevision: nil)
        action.cost = CostChange(before: side(before), after: side(after))
        return action
    }

    static func use(_ budget: Budget, _ actions: [PlannedAction], labels: [String: StringMap] = [:]) -> BudgetUse {
        BudgetUse.evaluate([budget], actions: actions, sites: sites) { labels[$0.description] }[0]
    }

    let block = Budget(name: "cap", monthly: 100, currency: "EUR", enforce: .block)

    @Test func aChangeOverTheLimitBlocksAndAWarningOnlyWarns() {
        let actions = [Self.action("Bucket/x@a", before: 60, after: 60), Self.action("Bucket/y@a", before: nil, after: 50)]
        let use = Self.use(block, actions)
        #expect(use.money?.before == 60 && use.money?.after == 110)
        #expect(use.breaks && use.blocks)
        #expect(use.overrunMessage == "budget 'cap': €110.00 a month against a limit of €100.00, €10.00 over")
        var warn = block
        warn.enforce = .warn
        #expect(Self.use(warn, actions).breaks && !Self.use(warn, actions).blocks)
    }

    @Test func loweringAnEstateAlreadyOverItsLimitIsAllowed() {
        let use = Self.use(block, [Self.action("Bucket/x@a", before: 150, after: 120)])
        #expect(!use.breaks, "over the limit, but less than before")
    }

    @Test func healsAreNeverCountedAgainstTheLimit() {
        let use = Self.use(block, [
            Self.action("Bucket/x@a", .drifted, before: 40, after: 90),
            Self.action("Bucket/y@a", .vanished, before: nil, after: 80),
        ])
        #expect(use.money?.after == 170)
        #expect(!use.breaks, "drift healed back to what was declared is not a change of the manifests")
    }

    @Test func scopeByLabelsSitesAndCurrency() {
        var team = block
        team.matchLabels = ["team": "payments"]
        let actions = [
            Self.action("Bucket/mine@a", before: nil, after: 90),
            Self.action("Bucket/other@a", before: nil, after: 90),
            Self.action("Bucket/gone@a", before: 500, after: nil),
            Self.action("Bucket/dollars@a", before: nil, after: 90, currency: "USD"),
        ]
        let labels: [String: StringMap] = ["Bucket/mine@a": ["team": "payments"], "Bucket/other@a": ["team": "data"], "Bucket/dollars@a": ["team": "payments"]]
        let use = Self.use(team, actions, labels: labels)
        #expect(use.money?.after == 90 && use.money?.before == 0, "only labelled resources count; a delete's labels are not known")
        #expect(use.otherCurrency == 1)
        var siteB = block
        siteB.sites = SiteScope(sites: ["b"])
        #expect(Self.use(siteB, actions).money?.after == 0)
        var cloud = block
        cloud.sites = SiteScope(matchLabels: ["tier": "cloud"])
        #expect(Self.use(cloud, actions).money?.after == 180)
    }

    @Test func carbonLimitsInKilograms() {
        let carbon = Budget(name: "green", carbonKg: 100, enforce: .block)
        let use = Self.use(carbon, [Self.action("Bucket/x@a", before: 50, after: 120)])
        #expect(use.carbonKg?.afterChanges == 120 && use.blocks)
        #expect(use.overrunMessage == "budget 'green': 120.0 kgCO2e a month against a limit of 100.0 kgCO2e, 20.0 kgCO2e over")
    }

    // MARK: Watch mode's holds

    /// A cloud site, and a price book pricing a database by its size (1 € per GB a month).
    static let sitePrices = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-a }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: prices }
    spec:
      currency: EUR
      models:
        - provider: sim
          kind: Database
          terms: [{ name: storage, quantity: { field: sizeGb }, perMonth: 1 }]

    """

    static let estate = sitePrices + """
    ---
    apiVersion: ballast.dev/v1
    kind: Budget
    metadata: { name: cap }
    spec: { monthly: LIMIT, currency: EUR }
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: steady, site: cloud-a }
    spec: { engine: postgres, sizeGb: 40 }
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: growing, site: cloud-a }
    spec: { engine: postgres, sizeGb: GROWING }
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: shrinking, site: cloud-a }
    spec: { engine: postgres, sizeGb: 10 }

    """

    static func holds(limit: Int, growing: Int, inForce: [String: Int]) throws -> [String] {
        let loaded = TestManifests.load(estate.replacingOccurrences(of: "LIMIT", with: String(limit)).replacingOccurrences(of: "GROWING", with: String(growing)))
        let desired = try #require(loaded.desired)
        let specs = Dictionary(uniqueKeysWithValues: inForce.map { (ResourceID(parsing: $0.key)!, Fields(["engine": .string("postgres"), "sizeGb": .int($0.value)])) })
        return BudgetHolds.compute(declared: desired, inForce: specs, catalog: TestManifests.catalog).keys.map(\.description).sorted()
    }

    @Test func aDeletionCountsAgainstALabelBudgetByTheLabelsLastApplied() throws {
        // The payments team's budget; its database is no longer declared: the plan deletes it,
        // and the budget's total before the plan still counts it (its labels are in the state).
        let text = Self.sitePrices + """
        ---
        apiVersion: ballast.dev/v1
        kind: Budget
        metadata: { name: payments }
        spec: { selector: { matchLabels: { team: payments } }, monthly: 100, currency: EUR }

        """
        let desired = try #require(TestManifests.load(text).desired)
        let id = ResourceID(parsing: "Database/ledger@cloud-a")!
        let spec = Fields(["engine": .string("postgres"), "sizeGb": .int(60)])
        let entry = InventoryEntry(id: id, spec: spec, specDigest: "x", createdAt: .now, updatedAt: .now, labels: ["team": "payments"])
        let observation = Observation(resources: [id: Observed(id: id, spec: spec, revision: "1")])
        let (plan, _) = Planner(catalog: TestManifests.catalog).plan(.init(
            desired: desired, observation: observation, inventory: [id: entry], secrets: [:], inputs: [], inputDigest: ""))
        #expect(plan.actions.map(\.action) == [.delete])
        let use = try #require(plan.budgets.first)
        #expect(use.money?.before == 60 && use.money?.after == 0, "\(String(describing: use.money))")
        // Recorded without labels (applied before labels were kept): the budget cannot see it.
        var unlabelled = entry
        unlabelled.labels = [:]
        let (blind, _) = Planner(catalog: TestManifests.catalog).plan(.init(
            desired: desired, observation: observation, inventory: [id: unlabelled], secrets: [:], inputs: [], inputDigest: ""))
        #expect(blind.budgets.first?.money?.before == 0)
    }

    @Test func watchWeighsARemovedResourceByItsLabelsThen() throws {
        // The payments team's €60: its old database (60) goes, its growing one goes 20 → 70.
        // Counting the removed one, the total falls from 80 to 70: nothing is held.
        let text = Self.sitePrices + """
        ---
        apiVersion: ballast.dev/v1
        kind: Budget
        metadata: { name: payments }
        spec: { selector: { matchLabels: { team: payments } }, monthly: 60, currency: EUR }
        ---
        apiVersion: ballast.dev/v1
        kind: Database
        metadata: { name: growing, site: cloud-a, labels: { team: payments } }
        spec: { engine: postgres, sizeGb: 70 }

        """
        let desired = try #require(TestManifests.load(text).desired)
        let old = ResourceID(parsing: "Database/old@cloud-a")!, growing = ResourceID(parsing: "Database/growing@cloud-a")!
        let inForce = [old: Fields(["engine": .string("postgres"), "sizeGb": .int(60)]), growing: Fields(["engine": .string("postgres"), "sizeGb": .int(20)])]
        let labelled = BudgetHolds.compute(declared: desired, inForce: inForce, inForceLabels: { $0 == old ? ["team": "payments"] : nil }, catalog: TestManifests.catalog)
        #expect(labelled.isEmpty, "\(labelled.keys)")
        // Without its labels, the removed one is not counted before, and the growth looks like a rise over the limit.
        #expect(BudgetHolds.compute(declared: desired, inForce: inForce, catalog: TestManifests.catalog)[growing] != nil)
    }

    @Test func watchHoldsOnlyWhatRaisesTheTotalOverTheLimit() throws {
        let before = ["Database/steady@cloud-a": 40, "Database/growing@cloud-a": 20, "Database/shrinking@cloud-a": 30]
        // 40 + 80 + 10 = 130 > 100, up from 90: only the growing database is held.
        #expect(try Self.holds(limit: 100, growing: 80, inForce: before) == ["Database/growing@cloud-a"])
        // Within the limit: nothing held.
        #expect(try Self.holds(limit: 200, growing: 80, inForce: before).isEmpty)
        // New resources count from nothing.
        #expect(try Self.holds(limit: 100, growing: 80, inForce: ["Database/steady@cloud-a": 40]) == ["Database/growing@cloud-a", "Database/shrinking@cloud-a"])
        // Over the limit but lower than what is in force: the change goes ahead.
        #expect(try Self.holds(limit: 50, growing: 20, inForce: ["Database/steady@cloud-a": 40, "Database/growing@cloud-a": 60, "Database/shrinking@cloud-a": 10]).isEmpty)
    }
}
