import BallastCore
import BallastEngine
import Testing

private func ids(_ count: Int, prefix: String = "b") -> [ResourceID] {
    (0..<count).map { ResourceID(parsing: "Bucket/\(prefix)\($0)@s")! }
}

@Suite("Prune gate")
struct PruneGateTests {
    private let start = ContinuousClock.now

    @Test func removalsWaitForTheManifestsToSettle() {
        var gate = PruneGate(pruneDelay: .seconds(10))
        gate.manifestsChanged(at: start)
        #expect(gate.admit(ids(1), managed: 100, at: start + .seconds(2)) == .wait(.seconds(8)))
        // Another change restarts the delay: a file written in two steps 1.5 s apart.
        gate.manifestsChanged(at: start + .seconds(3))
        #expect(gate.admit(ids(1), managed: 100, at: start + .seconds(12)) == .wait(.seconds(1)))
        #expect(gate.admit(ids(1), managed: 100, at: start + .seconds(13)) == .admit(ids(1)))
    }

    @Test func smallReloadsAddUpOverTheWindow() {
        var gate = PruneGate(budget: DeletionBudget(minimum: 10, fraction: 0.2, window: .seconds(600)), pruneDelay: .zero)
        var now = start
        for batch in 0..<2 {
            let some = ids(5, prefix: "r\(batch)-")
            #expect(gate.admit(some, managed: 40, at: now) == .admit(some))
            for _ in some { gate.recordDeletion(at: now) }
            now += .seconds(60)
        }
        // 10 already deleted within the window: the 11th is held.
        guard case .hold(let mass) = gate.admit(ids(1, prefix: "late"), managed: 40, at: now) else {
            Issue.record("the eleventh deletion within ten minutes must be held")
            return
        }
        #expect(mass.recent == 10)
        #expect(gate.held == mass)
        // Once the window has passed, the old deletions no longer count.
        #expect(gate.admit(ids(1, prefix: "late"), managed: 40, at: now + .seconds(600)) == .admit(ids(1, prefix: "late")))
        #expect(gate.held == nil)
    }

    @Test func heldDeletionsGoAheadOnlyWithTheirDigest() throws {
        var gate = PruneGate(pruneDelay: .zero)
        #expect(throws: PruneGate.ApprovalError.nothingHeld) { _ = try gate.approve("sha256:x") }
        guard case .hold(let mass) = gate.admit(ids(17), managed: 21, at: start) else {
            Issue.record("17 of 21 is over the budget")
            return
        }
        #expect(throws: PruneGate.ApprovalError.otherDeletions(held: mass.digest)) { _ = try gate.approve("sha256:other") }
        #expect(try gate.approve(mass.digest) == ids(17).sorted())
        #expect(gate.held == nil)
        // Declared again, then removed again: the old approval does not carry over.
        var again = gate
        again.reloaded(undeclared: [], at: start)
        guard case .hold = again.admit(ids(17), managed: 21, at: start) else {
            Issue.record("an approval must not outlive the removal it approved")
            return
        }
        // Part of the approved set deleted, then another reload: the rest is not held again.
        for _ in 0..<10 { gate.recordDeletion(at: start) }
        #expect(gate.admit(Array(ids(17).sorted().suffix(7)), managed: 11, at: start) == .admit(Array(ids(17).sorted().suffix(7))))
    }

    @Test func aChangeToTheManifestsReleasesTheHeldSet() {
        var gate = PruneGate(pruneDelay: .zero)
        guard case .hold = gate.admit(ids(17), managed: 21, at: start) else {
            Issue.record("17 of 21 is over the budget")
            return
        }
        // Files put back on disk: what was held is not what would be deleted any more.
        gate.manifestsChanged(at: start)
        #expect(gate.held == nil)
        #expect(throws: PruneGate.ApprovalError.nothingHeld) { _ = try gate.approve("sha256:x") }
    }

    @Test func anApprovalKeepsOnlyWhatIsStillUndeclared() throws {
        var gate = PruneGate(pruneDelay: .zero)
        guard case .hold(let mass) = gate.admit(ids(17), managed: 21, at: start) else {
            Issue.record("17 of 21 is over the budget")
            return
        }
        _ = try gate.approve(mass.digest)
        // A reload declares seven again; then they are removed again, with twenty more. The ten
        // never declared again stay approved; the seven are weighed anew with the twenty.
        let stillRemoved = Set(ids(17).sorted().prefix(10))
        gate.reloaded(undeclared: stillRemoved, at: start)
        guard case .hold(let again) = gate.admit(ids(17) + ids(20, prefix: "x"), managed: 60, at: start) else {
            Issue.record("the seven declared again, and twenty more, are weighed anew")
            return
        }
        #expect(Set(again.ids).isDisjoint(with: stillRemoved))
        #expect(again.ids.count == 27)
    }

    @Test func anApprovalGivenAtStartUpAppliesToThatSetOnly() {
        let mass = DeletionBudget.standard.check(ids(17), managed: 21)!
        var gate = PruneGate(pruneDelay: .zero, preApproved: mass.digest)
        #expect(gate.admit(ids(16), managed: 21, at: start) != .admit(ids(16)), "another set is not approved")
        #expect(gate.admit(ids(17), managed: 21, at: start) == .admit(ids(17)))
    }

    @Test func deletionsBeforeARestartStillCount() {
        var gate = PruneGate(pruneDelay: .zero)
        gate.seed(deletionsAgo: [.seconds(30), .seconds(60), .seconds(9000)], at: start)
        #expect(gate.recent(at: start) == 2, "only those within the window")
    }
}
