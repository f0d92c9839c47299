import BallastCore
import Testing

private let id = ResourceID(parsing: "Database/orders@eu")!

/// One row of the deletion rule's table: the inputs that differ from a plain, existing,
/// unprotected, undeclared resource on an observed site, and the verdict with its reason.
struct DeletionCase: CustomTestStringConvertible, Sendable {
    var reason: String
    var candidate: DeletionRule.Candidate
    var expected: DeletionRule.Verdict
    var testDescription: String { reason }

    init(_ reason: String, _ expected: DeletionRule.Verdict, request: DeletionRule.Request = .prune, recorded: RecordedPolicy = RecordedPolicy(), declared: RecordedPolicy? = nil, siteDeclared: Bool = true, pullSite: Bool = false, siteUnavailable: String? = nil, exists: Bool = true, settled: Bool = true, notGiven: ManifestScope.LeftOut? = nil) {
        self.reason = reason
        self.expected = expected
        candidate = .init(id: id, request: request, recorded: recorded, declared: declared, siteDeclared: siteDeclared, siteManagedByAgent: pullSite, siteUnavailable: siteUnavailable, exists: exists, sourceSettled: settled, manifestNotGiven: notGiven)
    }
}

private let protected = RecordedPolicy(preventDestroy: true)
private let orphan = RecordedPolicy(deletion: .orphan)
private let unpruned = RecordedPolicy(prune: false)

private let cases: [DeletionCase] = [
    .init("an undeclared, existing, unprotected resource is pruned", .delete(.notDeclared)),
    .init("a declared resource is never pruned", .keep(.declared), declared: RecordedPolicy()),
    .init("a dark site hides whether it exists: kept", .keep(.siteUnavailable("timeout")), siteUnavailable: "timeout"),
    .init("an undeclared site cannot be reached: kept", .keep(.siteUndeclared), siteDeclared: false),
    .init("on a pull site only its agent deletes: the hub keeps", .keep(.managedByAgent), pullSite: true),
    .init("on a pull site the hub keeps even an orphan-policy resource (the agent forgets it)", .keep(.managedByAgent), recorded: orphan, pullSite: true),
    .init("destroy on the hub refuses a pull site's resource", .keep(.managedByAgent), request: .destroy, declared: RecordedPolicy(), pullSite: true),
    .init("preventDestroy as applied refuses the prune", .keep(.preventDestroy), recorded: protected),
    .init("preventDestroy still refuses before the source settles (an error, not a wait)", .keep(.preventDestroy), recorded: protected, settled: false),
    .init("prune: false keeps it", .keep(.pruneDisabled), recorded: unpruned),
    .init("a removal from unsettled manifests waits", .keep(.sourceUnsettled), settled: false),
    .init("orphan: forgotten, not deleted", .forget(.orphaned), recorded: orphan),
    .init("orphan wins over preventDestroy: nothing is deleted", .forget(.orphaned), recorded: RecordedPolicy(preventDestroy: true, deletion: .orphan)),
    .init("already gone: only the entry is forgotten", .forget(.vanished), exists: false),
    .init("already gone and protected: forgotten the same way in plan and watch", .forget(.vanished), recorded: protected, exists: false),
    .init("already gone, but the source has not settled: waits", .keep(.sourceUnsettled), exists: false, settled: false),
    .init("its manifest still exists but was not given: kept", .keep(.manifestNotGiven(.fileNotGiven("b.yaml"))), notGiven: .fileNotGiven("b.yaml")),
    .init("its manifest is gone from a directory not given: kept (renamed, perhaps)", .keep(.manifestNotGiven(.goneFromDirectoryNotGiven(file: "b.yaml", directory: ".", directoryExists: true))), notGiven: .goneFromDirectoryNotGiven(file: "b.yaml", directory: ".", directoryExists: true)),
    .init("its manifest not given: kept even on an undeclared site, whose file may declare it too", .keep(.manifestNotGiven(.fileNotGiven("b.yaml"))), siteDeclared: false, notGiven: .fileNotGiven("b.yaml")),
    .init("its manifest not given: kept even when it is gone (the file still declares it)", .keep(.manifestNotGiven(.fileNotGiven("b.yaml"))), exists: false, notGiven: .fileNotGiven("b.yaml")),
    .init("a declared resource is never pruned, wherever it was applied from", .keep(.declared), declared: RecordedPolicy(), notGiven: .fileNotGiven("b.yaml")),
    .init("destroy deletes what it names, whatever manifests were given", .delete(.destroyRequested), request: .destroy, declared: RecordedPolicy(), notGiven: .fileNotGiven("b.yaml")),
    .init("destroy deletes what it names", .delete(.destroyRequested), request: .destroy, declared: RecordedPolicy()),
    .init("destroy refuses preventDestroy as declared now", .keep(.preventDestroy), request: .destroy, declared: protected),
    .init("destroy refuses preventDestroy as applied, even if the manifest dropped it without an apply", .keep(.preventDestroy), request: .destroy, recorded: protected, declared: RecordedPolicy()),
    .init("destroy ignores prune: false (the user named it)", .delete(.destroyRequested), request: .destroy, recorded: unpruned, declared: unpruned),
    .init("destroy of an orphan forgets it", .forget(.orphaned), request: .destroy, declared: orphan),
    .init("destroy keeps what a dark site hides", .keep(.siteUnavailable("down")), request: .destroy, declared: RecordedPolicy(), siteUnavailable: "down"),
    .init("destroy does not wait for a settled source (it reads its files once)", .delete(.destroyRequested), request: .destroy, declared: RecordedPolicy(), settled: false),
]

@Suite("Deletion rule")
struct DeletionRuleTests {
    @Test(arguments: cases)
    func decides(_ row: DeletionCase) {
        #expect(DeletionRule.decide(row.candidate) == row.expected, "\(row.reason)")
    }

    @Test func onlyRealDeletesCountAgainstTheBudget() {
        #expect(DeletionRule.Verdict.delete(.notDeclared).deletesInTheWorld)
        #expect(!DeletionRule.Verdict.forget(.vanished).deletesInTheWorld)
        #expect(!DeletionRule.Verdict.keep(.preventDestroy).deletesInTheWorld)
        #expect(!DeletionRule.Verdict.keep(.manifestNotGiven(.fileNotGiven("b.yaml"))).deletesInTheWorld)
    }

    @Test func aManifestNotGivenIsAnErrorThatNamesTheFile() {
        let hold = DeletionRule.Hold.manifestNotGiven(.fileNotGiven("teams/b.yaml"))
        #expect(hold.isError)
        #expect(hold.message(for: id, request: .prune).contains("last applied from teams/b.yaml, which still exists and was not given"))
        let gone = DeletionRule.Hold.manifestNotGiven(.goneFromDirectoryNotGiven(file: "teams/b.yaml", directory: "teams", directoryExists: true))
        #expect(gone.isError)
        #expect(gone.message(for: id, request: .prune).contains("teams/b.yaml, the file it was last applied from, is gone, but its directory teams was not given"))
        let vanished = DeletionRule.Hold.manifestNotGiven(.goneFromDirectoryNotGiven(file: "/tmp/x/b.yaml", directory: "/tmp/x", directoryExists: false))
        #expect(vanished.message(for: id, request: .prune).contains("is gone with its directory /tmp/x"))
        #expect(vanished.message(for: id, request: .prune).contains("ballast forget \(id)"))
    }

    @Test func theBudgetIsTheLargerOfAFloorAndAShare() {
        let budget = DeletionBudget.standard
        #expect(budget.limit(managed: 0) == 10)
        #expect(budget.limit(managed: 50) == 10)
        #expect(budget.limit(managed: 51) == 11, "20% of 51 rounds up")
        #expect(budget.limit(managed: 1000) == 200)
        let ids = (0..<11).map { ResourceID(parsing: "Bucket/b\($0)@s")! }
        #expect(budget.check(Array(ids.prefix(10)), managed: 21) == nil)
        let over = budget.check(ids, managed: 21)
        #expect(over?.limit == 10)
        #expect(over?.ids == ids.sorted())
        // Earlier deletions in the window count.
        #expect(budget.check(Array(ids.prefix(3)), recent: 8, managed: 21) != nil)
        #expect(over?.message.contains("the larger of 10 and 20% of 21 managed") == true)
    }

    @Test func anApprovalNamesOneExactSet() {
        let a = MassDeletion(ids: [ResourceID(parsing: "Bucket/a@s")!], recent: 0, limit: 0, managed: 1, rule: "")
        var b = a
        b.ids.append(ResourceID(parsing: "Bucket/b@s")!)
        #expect(a.digest != b.digest)
        #expect(a.digest.hasPrefix("sha256:") && a.digest.count == 7 + 64)
    }
}

@Suite("Plan seal")
struct PlanSealTests {
    private let plan = Plan(inputs: ["m"], inputDigest: "d", secretsDigest: "s", actions: [
        PlannedAction(id: id, action: .noop, reason: .upToDate, layer: 0, observedRevision: "3"),
    ])
    private let key = Array(repeating: UInt8(7), count: 32)

    @Test func aSealedPlanVerifiesAndReadsBack() throws {
        let sealed = PlanSeal.seal(plan, key: key)
        try PlanSeal.verify(sealed, key: key)
        // Through text, as a file would be.
        let reread = try JSONValueParser.parse(JSONText.pretty(sealed))
        try PlanSeal.verify(reread, key: key)
        #expect(try PlanJSON.decode(reread).actions == plan.actions)
    }

    @Test func anEditedPlanIsRefused() throws {
        guard case .map(var fields) = PlanSeal.seal(plan, key: key), case .list(var actions)? = fields["actions"], case .map(var action) = actions[0] else {
            Issue.record("a plan encodes as a map with actions")
            return
        }
        action["action"] = .string("delete")
        actions[0] = .map(action)
        fields["actions"] = .list(actions)
        #expect(throws: PlanSeal.Failure.modified) { try PlanSeal.verify(.map(fields), key: key) }
    }

    @Test func anotherStatesKeyOrNoSealIsRefused() {
        #expect(throws: PlanSeal.Failure.modified) { try PlanSeal.verify(PlanSeal.seal(plan, key: key), key: Array(repeating: 8, count: 32)) }
        #expect(throws: PlanSeal.Failure.unsealed) { try PlanSeal.verify(PlanJSON.encode(plan), key: key) }
    }

    @Test func theSecretsDigestNeedsTheKey() {
        let secrets: [ReferenceExpression: String] = [.env("DB_PASSWORD"): "hunter2"]
        let keyed = Planner.secretsDigest(secrets, key: key)
        #expect(keyed != Planner.secretsDigest(secrets, key: Array(repeating: 8, count: 32)))
        #expect(keyed != SpecDigest.digest("env:DB_PASSWORD=hunter2"), "a plain hash would let a plan confirm a guess")
    }
}
