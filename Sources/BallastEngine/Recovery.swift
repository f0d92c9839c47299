import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Finishes the journal after a crash: every intent without an outcome is checked against
/// the world and closed.
///
/// A create (or replace) that happened is adopted into the inventory, so it is never created
/// twice; one that did not is abandoned and the next plan does it again. A delete that
/// happened removes the inventory entry. An update is abandoned: the next plan compares the
/// world with the manifests and finishes it if needed.
public struct Recovery: Sendable {
    public var registry: ProviderRegistry
    public var store: any StateStore
    public var logger: Logger
    public var now: @Sendable () -> Date
    /// Makes the events that report each outcome; nil when no event sink is configured.
    public var announcer: EventAnnouncer?

    public init(registry: ProviderRegistry, store: any StateStore, announcer: EventAnnouncer? = nil, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.registry = registry
        self.store = store
        self.announcer = announcer
        self.logger = logger
        self.now = now
    }

    public struct Report: Sendable, Hashable {
        public var adopted: [ResourceID] = []
        public var abandoned: [ResourceID] = []
        public var forgotten: [ResourceID] = []
        /// Intents left open because their site could not be observed; tried again next run.
        public var pending: [ResourceID] = []

        public var isEmpty: Bool { adopted.isEmpty && abandoned.isEmpty && forgotten.isEmpty && pending.isEmpty }
    }

    public func recover(sites: [String: Site]) async throws -> Report {
        let open = try await store.unfinishedIntents()
        var report = Report()
        guard !open.isEmpty else { return report }
        logger.warning("recovering unfinished actions from an interrupted run", metadata: ["count": "\(open.count)"])
        let observer = Observer(registry: registry, logger: logger)
        let observation = await observer.observe(Array(Set(open.map(\.intent.id))), sites: sites)
        let inventory = try await store.inventory()
        for record in open {
            let intent = record.intent
            let id = intent.id
            guard sites[id.site] != nil, observation.unavailableSites[id.site] == nil else {
                report.pending.append(id)
                continue
            }
            let observed = observation.resources[id]
            let existing = inventory[id]
            var status = JournalOutcome.Status.abandoned
            var change = InventoryChange.none
            switch intent.action {
            case .create, .replace:
                if let observed {
                    status = .adopted
                    change = .upsert(InventoryEntry(
                        id: id, spec: intent.spec, specDigest: intent.specDigest, outputs: observed.outputs, status: .ready,
                        generation: (existing?.generation ?? 0) + 1, dependencies: existing?.dependencies ?? [],
                        preventDestroy: existing?.preventDestroy ?? false, deletion: existing?.deletion ?? .delete, prune: existing?.prune ?? true,
                        createdAt: existing?.createdAt ?? intent.at, updatedAt: now(), standsInFor: existing?.standsInFor, labels: existing?.labels ?? [:],
                        manifest: existing?.manifest))
                    report.adopted.append(id)
                } else {
                    report.abandoned.append(id)
                }
            case .delete:
                if observed == nil {
                    status = .succeeded
                    change = .remove(id)
                    report.forgotten.append(id)
                } else {
                    report.abandoned.append(id)
                }
            case .update, .noop:
                report.abandoned.append(id)
            }
            let outcome = JournalOutcome(intentSequence: record.sequence, status: status, attempts: 0, error: status == .abandoned ? "interrupted; the next plan decides again" : nil, outputs: observed?.outputs, at: now())
            try await store.recordOutcome(outcome, of: intent, planned: nil, change: change, announcer: announcer)
        }
        return report
    }
}
