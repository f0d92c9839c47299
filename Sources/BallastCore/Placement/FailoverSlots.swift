/// The choice for one manifest placed with `count`: which instances are kept, which are new,
/// which stand in for a failed site, and which are retired (``PlacementChooser``).
///
/// Each kept instance that is not a replacement holds a slot, on its home site. While its home
/// has failed (unavailable for `failoverAfter`), a replacement on another site serves the slot
/// and stands in for the home; the home's own instance is never deleted for it.
struct FailoverSlots {
    typealias Ranked = PlacementChooser.Ranked

    let key: String
    let placement: CountPlacement
    /// Every candidate, best first.
    let ranked: [Ranked]
    let facts: PlacementFacts

    /// The chosen instances, in the order they were chosen.
    private(set) var chosen: [ResourceID] = []
    private var chosenSet = Set<ResourceID>()
    /// Chosen instances that do not exist yet.
    private(set) var added: [ResourceID] = []
    private(set) var notes: [ResourceID: String] = [:]
    private(set) var standsInFor: [ResourceID: String] = [:]
    private(set) var retired: [ResourceID: String] = [:]
    /// Instances whose references follow another: a failed home to its replacement.
    private(set) var movedTo: [ResourceID: ResourceID] = [:]
    private(set) var report = FailoverReport()
    /// Sites that hold an instance of this manifest, or will.
    private var used = Set<String>()

    init(key: String, placement: CountPlacement, ranked: [Ranked], facts: PlacementFacts) {
        self.key = key
        self.placement = placement
        self.ranked = ranked
        self.facts = facts
    }

    private var of: String { "\(placement.count) of \(ranked.count) matching site\(ranked.count == 1 ? "" : "s")" }

    private func isDown(_ site: String) -> Bool { facts.outages[site] != nil }

    private func isHealthy(_ id: ResourceID) -> Bool { facts.existing[id]?.ready == true && !isDown(id.site) }

    private func availableFirst(_ items: [Ranked]) -> [Ranked] {
        items.filter { !isDown($0.site) } + items.filter { isDown($0.site) }
    }

    private func why(_ item: Ranked) -> String {
        "\(placement.prefer.map(\.rawValue) ?? "first by name")\(item.rank.figure.map { ", \($0)" } ?? "")"
    }

    mutating func choose() {
        // Existing instances: those standing in for a site that still holds its own instance
        // are replacements; the others hold slots.
        let existingSites = Set(ranked.filter { facts.existing[$0.id] != nil }.map(\.site))
        var homes: [Ranked] = []
        var replacements: [String: [Ranked]] = [:]
        for item in ranked {
            guard let fact = facts.existing[item.id] else { continue }
            if let home = fact.standsInFor, home != item.site, existingSites.contains(home) {
                replacements[home, default: []].append(item)
            } else {
                homes.append(item)
            }
        }
        used = existingSites
        let kept = Array(availableFirst(homes).prefix(placement.count))
        for home in kept {
            take(home.id, note: "kept: it exists here (\(of))")
            // A replacement whose site's own instance is gone holds the slot, and keeps its record.
            if let site = facts.existing[home.id]?.standsInFor { standsInFor[home.id] = site }
        }
        for item in availableFirst(ranked.filter { facts.existing[$0.id] == nil }).prefix(placement.count - kept.count) {
            take(item.id, note: "\(placement.prefer.map(\.rawValue) ?? "first by name"): \(of)\(item.rank.figure.map { ", \($0)" } ?? "")")
            added.append(item.id)
            used.insert(item.site)
        }
        for home in kept { settle(home, replacements: replacements[home.site] ?? []) }
        // Whatever exists and was not chosen is retired: homes beyond `count`, and the
        // replacements of homes no longer kept.
        for item in ranked where facts.existing[item.id] != nil && !chosenSet.contains(item.id) && retired[item.id] == nil {
            retired[item.id] = "not chosen: \(of) are kept"
        }
        keepLastHealthy()
        // References to an instance not chosen follow the one that stands in for its site.
        for item in ranked where chosenSet.contains(item.id) {
            guard let site = standsInFor[item.id], site != item.site, let home = ranked.first(where: { $0.site == site }),
                  !chosenSet.contains(home.id), movedTo[home.id] == nil else { continue }
            movedTo[home.id] = item.id
        }
        report.moves.sort()
    }

    /// What happens to one kept home and the replacements standing in for it.
    private mutating func settle(_ home: Ranked, replacements: [Ranked]) {
        let site = home.site
        guard let failover = placement.failover else {
            // Failover turned off: what stood in for the site goes, as in an automatic failback.
            if !replacements.isEmpty { failBack(home, replacements: replacements, after: .zero) }
            return
        }
        if let outage = facts.outages[site] {
            let down = outage.lasted.map { "has been unavailable for \(DurationText.format($0))" } ?? "is unavailable"
            guard facts.hasFailed(site, after: failover.after) else {
                report.recheck(after: failover.after - (outage.lasted ?? .zero))
                notes[home.id] = "site \(down) (\(outage.reason)); fails over after \(DurationText.format(failover.after))"
                for item in replacements { standIn(item, for: site) }
                return
            }
            if let serving = replacements.first(where: { !isDown($0.site) }) {
                standIn(serving, for: site)
                movedTo[home.id] = serving.id
                for item in replacements where item.id != serving.id {
                    if isHealthy(serving.id) {
                        retired[item.id] = "superseded: \(serving.id) stands in for \(site) and is Ready"
                    } else {
                        standIn(item, for: site)
                    }
                }
            } else if let target = ranked.first(where: { !used.contains($0.site) && !isDown($0.site) }) {
                take(target.id, note: "stands in for \(site), which \(down) (\(outage.reason)); \(why(target))")
                standsInFor[target.id] = site
                added.append(target.id)
                used.insert(target.site)
                movedTo[home.id] = target.id
                report.moves.append(.init(direction: .failover, manifest: key, from: site, to: target.site))
                for item in replacements { standIn(item, for: site) }
            } else {
                let others = ranked.filter { $0.site != site }.sorted { $0.site < $1.site }.map { "\($0.site) (\(isDown($0.site) ? "unavailable" : "holds an instance"))" }
                report.impossible[home.id] = "site '\(site)' \(down) (\(outage.reason)) and no other matching site can take \(key)" + (others.isEmpty ? "" : ": " + others.joined(separator: ", ")) + "; nothing is deleted"
                for item in replacements { standIn(item, for: site) }
            }
            return
        }
        guard !replacements.isEmpty else { return }
        switch failover.failback {
        case .auto:
            failBack(home, replacements: replacements, after: failover.after)
        case .manual:
            guard let serving = replacements.first(where: { isHealthy($0.id) }) else {
                for item in replacements { standIn(item, for: site) }
                report.recheck(after: min(failover.after, Self.readinessPoll))
                return
            }
            standIn(serving, for: site)
            notes[serving.id] = "stands in for \(site) (failback: manual): it stays here"
            drop(home.id)
            retired[home.id] = "failback: manual: \(serving.id) stands in for it and is Ready"
            movedTo[home.id] = serving.id
            for item in replacements where item.id != serving.id { retired[item.id] = "superseded: \(serving.id) stands in for \(site) and is Ready" }
        }
    }

    /// Retires the replacements of a home that is back, once it has been healthy for `after`
    /// and its own instance is Ready; until then they keep standing in for it.
    private mutating func failBack(_ home: Ranked, replacements: [Ranked], after: Duration) {
        let healthyFor = facts.recovered[home.site]
        let longEnough = healthyFor.map { $0 >= after } ?? true
        if longEnough && isHealthy(home.id) {
            for item in replacements {
                retired[item.id] = "failback: \(home.site) is healthy again and \(home.id) is Ready"
                report.moves.append(.init(direction: .failback, manifest: key, from: item.site, to: home.site))
            }
            return
        }
        for item in replacements { standIn(item, for: home.site) }
        if let serving = replacements.first(where: { !isDown($0.site) }) { movedTo[home.id] = serving.id }
        if !longEnough, let healthyFor {
            report.recheck(after: after - healthyFor)
            notes[home.id] = "site back for \(DurationText.format(healthyFor)); its replacement moves back after \(DurationText.format(after)) healthy"
        } else {
            report.recheck(after: min(after, Self.readinessPoll))
            notes[home.id] = "site back; its replacement moves back once this instance is Ready"
        }
    }

    /// How often a failback waiting for an instance to become Ready looks again.
    static let readinessPoll = Duration.seconds(10)

    /// The last healthy instance is never retired: when no chosen instance is healthy, the
    /// healthy ones this choice would retire are kept.
    private mutating func keepLastHealthy() {
        guard !chosen.contains(where: isHealthy) else { return }
        for id in retired.keys.sorted() where isHealthy(id) {
            retired[id] = nil
            take(id, note: "kept: the last healthy instance of \(key)")
            if let site = facts.existing[id]?.standsInFor { standsInFor[id] = site }
        }
    }

    private mutating func standIn(_ item: Ranked, for site: String) {
        take(item.id, note: "stands in for \(site)")
        standsInFor[item.id] = site
    }

    private mutating func take(_ id: ResourceID, note: String) {
        if chosenSet.insert(id).inserted { chosen.append(id) }
        if notes[id] == nil { notes[id] = note }
    }

    private mutating func drop(_ id: ResourceID) {
        guard chosenSet.remove(id) != nil else { return }
        chosen.removeAll { $0 == id }
        notes[id] = nil
    }
}
