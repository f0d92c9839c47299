import BallastCore
import BallastState
import Testing
@testable import BallastEngine

/// What failover is told of sites' health, and what a replica keeps of others' reports.
@Suite("Site availability clock")
struct SiteAvailabilityClockTests {
    let start = ContinuousClock.now

    @Test func anOutageKeepsItsStartAndAReturnIsTimedFromWhenItCame() {
        var clock = SiteAvailabilityClock()
        clock.wentDown("paris", at: start)
        clock.wentDown("paris", at: start + .seconds(10))
        var facts = clock.facts(existing: [:], reasons: ["paris": "refused"], now: start + .seconds(30))
        #expect(facts.outages["paris"] == PlacementFacts.Outage(lasted: .seconds(30), reason: "refused"))
        clock.cameBack("paris", at: start + .seconds(40))
        facts = clock.facts(existing: [:], reasons: [:], now: start + .seconds(45))
        #expect(facts.outages.isEmpty && facts.recovered["paris"] == .seconds(5))
    }

    @Test func aSiteWhoseOwnerDiedStaysDownUntilAnOwnerVouchesForIt() {
        var clock = SiteAvailabilityClock()
        let down = ReplicaSiteHealth(downFor: .seconds(20), reason: "refused")
        let changed = clock.adoptRemote(["paris": (down, .seconds(1))], now: start + .seconds(21))
        #expect(changed)
        #expect(clock.facts(existing: [:], reasons: [:], owned: [], now: start + .seconds(31)).outages["paris"]?.lasted == .seconds(31), "down for 20 s when reported, a second before it was read")
        // Its owner died: no report, and it must not read as healthy.
        let changedAgain = clock.adoptRemote([:], keeping: ["paris"], now: start + .seconds(40))
        #expect(!changedAgain)
        #expect(clock.facts(existing: [:], reasons: [:], owned: [], now: start + .seconds(41)).outages["paris"]?.lasted == .seconds(41))
        // Taken over here: the outage moves into this replica's own clock, for its breakers to end.
        _ = clock.adoptRemote([:], takingOver: ["paris"], now: start + .seconds(50))
        #expect(clock.facts(existing: [:], reasons: [:], owned: ["paris"], now: start + .seconds(51)).outages["paris"]?.lasted == .seconds(51))
        clock.cameBack("paris", at: start + .seconds(60))
        #expect(clock.facts(existing: [:], reasons: [:], owned: ["paris"], now: start + .seconds(70)).recovered["paris"] == .seconds(10))
        // Without the rule, a silent owner would make the site healthy at once.
        var forgetful = SiteAvailabilityClock()
        _ = forgetful.adoptRemote(["paris": (down, .zero)], now: start + .seconds(20))
        _ = forgetful.adoptRemote([:], now: start + .seconds(40))
        #expect(forgetful.facts(existing: [:], reasons: [:], owned: [], now: start + .seconds(41)).outages.isEmpty)
    }
}
