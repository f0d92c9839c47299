import BallastCore
@testable import BallastEngine
import Foundation
import Testing

private let start = ContinuousClock.now
private let date = Date(timeIntervalSince1970: 1_000)
private func id(_ name: String, _ site: String = "edge") -> ResourceID { ResourceID(kind: "Workload", name: name, site: site) }
private let declared = [
    "edge": Site(name: "edge", siteClass: .edge, provider: "sim"),
    "cloud": Site(name: "cloud", siteClass: .cloud, provider: "sim"),
]

@Suite("Site breakers")
struct SiteBreakersTests {
    @Test func aSiteOpensAfterTheThresholdParksItsIdsAndHandsThemBackWhenItCloses() {
        var breakers = SiteBreakers(threshold: 2, cooldown: .seconds(5))
        let added = breakers.adopt(declared, resources: ["edge": 2], keep: { _ in false }, date: date).added
        #expect(added == ["cloud", "edge"])
        // The first failure retries the id after its own backoff; the second opens the circuit.
        let first = breakers.recordFailure(id("a"), reason: "timeout", at: start, date: date)
        #expect(first == .init(wentDown: false, retryAfterBackoff: true, probeAt: nil))
        let opened = breakers.recordFailure(id("b"), reason: "timeout", at: start, date: date)
        #expect(opened?.wentDown == true && opened?.retryAfterBackoff == false && opened?.probeAt == start + .seconds(5))
        #expect(breakers.statuses.first { $0.name == "edge" }?.up == false)
        // While open, ids are parked; other sites carry on.
        let parked = breakers.admit(id("c"), at: start + .seconds(1))
        let elsewhere = breakers.admit(id("d", "cloud"), at: start + .seconds(1))
        #expect(!parked && elsewhere)
        // The probe takes a parked id; a success closes the circuit and returns the rest.
        let probe = breakers.probeCandidate(site: "edge", fallback: nil)
        #expect(probe == id("b"))
        let handedBack = breakers.recordSuccess(site: "edge", date: date)
        #expect(handedBack == [id("c")])
        #expect(breakers.statuses.first { $0.name == "edge" }?.up == true)
        let again = breakers.recordSuccess(site: "edge", date: date)
        #expect(again == nil, "already closed: nothing to resync")
        let noProbe = breakers.probeCandidate(site: "edge", fallback: id("z"))
        #expect(noProbe == nil, "no probe once closed")
    }

    @Test func sitesFollowTheDeclarationsButOutliveThemWhileTheyHoldManagedResources() {
        var breakers = SiteBreakers(threshold: 3, cooldown: .seconds(5))
        _ = breakers.adopt(declared, resources: [:], keep: { _ in false }, date: date)
        let (_, dropped) = breakers.adopt(["edge": declared["edge"]!], resources: [:], keep: { $0 == "cloud" }, date: date)
        #expect(dropped.isEmpty, "cloud still holds managed resources")
        let droppedNow = breakers.adopt(["edge": declared["edge"]!], resources: [:], keep: { _ in false }, date: date).dropped
        #expect(droppedNow == ["cloud"])
        #expect(breakers.statuses.map(\.name) == ["edge"])
    }
}
