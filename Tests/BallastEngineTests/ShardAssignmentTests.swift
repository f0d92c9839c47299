import BallastEngine
import BallastState
import Foundation
import Testing

@Suite("Sharding sites over replicas")
struct ShardAssignmentTests {
    private func sites(_ count: Int) -> [String] { (0..<count).map { String(format: "site-%03d", $0) } }

    @Test(arguments: [(30, 3), (10, 4), (7, 3), (2, 5), (100, 7), (1, 1), (0, 3)])
    func loadsDifferByAtMostOne(siteCount: Int, replicaCount: Int) {
        let replicas = (1...replicaCount).map { "host-\($0):\(1000 + $0)" }
        let assignment = ShardAssignment(sites: sites(siteCount), replicas: replicas)
        #expect(assignment.owners.count == siteCount, "every site has an owner")
        let loads = replicas.map { assignment.sites(of: $0).count }
        #expect((loads.max() ?? 0) - (loads.min() ?? 0) <= 1, "\(loads)")
        #expect(loads.allSatisfy { $0 <= (siteCount + replicaCount - 1) / replicaCount }, "at most ⌈sites / replicas⌉ each")
    }

    @Test func everyReplicaComputesTheSameAssignmentWhateverTheOrder() {
        let a = ShardAssignment(sites: sites(30), replicas: ["a", "b", "c"])
        let b = ShardAssignment(sites: sites(30).reversed(), replicas: ["c", "a", "b", "a"])
        #expect(a == b)
    }

    @Test func addingOrRemovingAReplicaMovesAboutItsShare() {
        let before = ShardAssignment(sites: sites(120), replicas: ["a", "b", "c"])
        let added = ShardAssignment(sites: sites(120), replicas: ["a", "b", "c", "d"])
        let movedOnAdd = before.owners.filter { added.owners[$0.key] != $0.value }.count
        // d's share is 30; a plain modulo would move about 90.
        #expect(movedOnAdd >= 30 && movedOnAdd <= 45, "moved \(movedOnAdd) of 120")
        let removed = ShardAssignment(sites: sites(120), replicas: ["a", "b"])
        let movedOnRemove = before.owners.filter { removed.owners[$0.key] != $0.value }.count
        #expect(movedOnRemove >= 40 && movedOnRemove <= 60, "c's 40 sites move, and few others: moved \(movedOnRemove)")
        #expect(before.owners.filter { $0.value == "c" }.allSatisfy { removed.owners[$0.key] != "c" })
    }

    @Test func theHashIsFixedAcrossProcesses() {
        // Swift's Hasher is seeded per process; this must not be. Pinned values.
        let assignment = ShardAssignment(sites: ["eu-central", "us-east", "edge-berlin"], replicas: ["r1", "r2", "r3"])
        #expect(assignment.owners == ShardAssignment(sites: ["edge-berlin", "us-east", "eu-central"], replicas: ["r3", "r2", "r1"]).owners)
        #expect(Set(assignment.owners.values) == ["r1", "r2", "r3"])
    }
}

@Suite("Lease decisions of a replica")
struct LeaseDecisionTests {
    private let now = ContinuousClock.now

    private func beat(_ id: String, digest: String = "d") -> ReplicaHeartbeat {
        ReplicaHeartbeat(id: id, host: "h", pid: 1, listen: "127.0.0.1:1", manifestDigest: digest, startedAt: Date())
    }

    private func record(_ id: String, alive: Bool = true, digest: String = "d") -> ReplicaRecord {
        ReplicaRecord(beat: beat(id, digest: digest), lastSeen: Date(), expiresAt: Date(), alive: alive)
    }

    private func lease(_ key: String, _ owner: String, lapsed: Bool = false) -> SiteLease {
        SiteLease(key: key, owner: owner, epoch: 1, acquiredAt: Date(), expiresAt: Date(), lapsed: lapsed)
    }

    private let sites: Set<String> = ["s1", "s2", "s3", "s4", "s5", "s6"]

    @Test func aFreeSiteIsTakenByItsAssignedReplicaOnly() {
        let view = ReplicaView(replicas: [record("a"), record("b")], leases: [lease(ReplicaView.leaderKey, "b")])
        let mine = LeaseDecision.decide(view: view, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2))
        let theirs = LeaseDecision.decide(view: view, me: beat("b"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2))
        #expect(Set(mine.claim).isDisjoint(with: theirs.claim))
        #expect(Set(mine.claim).union(theirs.claim) == sites)
        #expect(mine.claim.count == 3 && theirs.claim.count == 3)
        #expect(!mine.claim.contains(ReplicaView.leaderKey), "the leader is alive")
    }

    @Test func aSiteUnownedPastTheRescueDelayIsTakenByAnyone() {
        let view = ReplicaView(replicas: [record("a"), record("b")], leases: [])
        let plain = LeaseDecision.decide(view: view, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2))
        let notMine = sites.subtracting(plain.claim)
        let waited = Dictionary(uniqueKeysWithValues: notMine.map { ($0, now - .seconds(3)) })
        let rescue = LeaseDecision.decide(view: view, me: beat("a"), sites: sites, unownedSince: waited, now: now, rescueAfter: .seconds(2))
        #expect(Set(rescue.claim) == sites.union([ReplicaView.leaderKey]))
    }

    @Test func aSiteIsGivenUpOnlyToALiveReplicaWithTheSameManifests() {
        // a holds everything; b has joined.
        let held = sites.map { lease($0, "a") }
        let view = ReplicaView(replicas: [record("a"), record("b")], leases: held)
        let decision = LeaseDecision.decide(view: view, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2))
        #expect(decision.release.count == 3)
        let disagreeing = ReplicaView(replicas: [record("a"), record("b", digest: "other")], leases: held)
        #expect(LeaseDecision.decide(view: disagreeing, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2)).release.isEmpty)
        let dead = ReplicaView(replicas: [record("a"), record("b", alive: false)], leases: held)
        #expect(LeaseDecision.decide(view: dead, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2)).release.isEmpty)
    }

    @Test func leasesOnSitesNoLongerDeclaredAreGivenUp() {
        let view = ReplicaView(replicas: [record("a")], leases: [lease("gone", "a"), lease(ReplicaView.leaderKey, "a")])
        let decision = LeaseDecision.decide(view: view, me: beat("a"), sites: ["s1"], unownedSince: [:], now: now, rescueAfter: .seconds(2))
        #expect(decision.release == ["gone"])
        #expect(decision.claim == ["s1"])
    }

    @Test func aLapsedLeaseIsFree() {
        let view = ReplicaView(replicas: [record("a"), record("b", alive: false)], leases: sites.map { lease($0, "b", lapsed: true) })
        let decision = LeaseDecision.decide(view: view, me: beat("a"), sites: sites, unownedSince: [:], now: now, rescueAfter: .seconds(2))
        #expect(Set(decision.claim) == sites.union([ReplicaView.leaderKey]))
    }
}
