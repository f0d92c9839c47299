import BallastCore
import BallastState
import Foundation
import Logging

/// The hub's side of pull sites: publishes each site's desired state (``SiteBundle``) under a
/// generation kept in the state store, answers agents' long-polls, and keeps what agents
/// report: when each was last heard from, and what it applied.
///
/// A site's generation rises only when its bundle's digest changes: an edit elsewhere, or a
/// reload that changes nothing for the site, wakes no agent.
public actor AgentHub {
    /// How often agents report, and after how many missed reports a site is stale.
    public struct Configuration: Sendable {
        public var heartbeat: Duration = .seconds(10)
        public var staleAfterMissedReports: Int = 3
        /// The longest long-poll an agent may ask for.
        public var maxWait: Duration = .seconds(120)

        public init() {}

        /// A site whose agent has not reported for this long is `Stale`.
        public var staleAfter: Duration { heartbeat * staleAfterMissedReports }
    }

    /// The answer to an agent's fetch.
    public enum Answer: Sendable {
        /// A revision newer than the agent's, with the values of its secret references.
        case revision(SiteRevision, secrets: [String: String])
        /// Nothing newer within the wait; the latest generation (nil before the first).
        case unchanged(Int64?)
    }

    public enum HubError: Error, Sendable, CustomStringConvertible {
        case notPullSite(String)
        case secretUnknown(site: String, reference: String)

        public var description: String {
            switch self {
            case .notPullSite(let site): "'\(site)' is not a pull site of this hub's manifests (spec.mode: pull)"
            case .secretUnknown(let site, let reference):
                "the desired state of '\(site)' uses \(reference), which this hub could not read; it is not sent until the hub can"
            }
        }
    }

    /// What is known of a pull site's agent.
    public struct AgentState: Sendable, Hashable {
        public var lastReport: Date?
        public var appliedGeneration: Int64?
        public var desiredGeneration: Int64?
        /// What the agent said went wrong (a desired state it refused, an apply that failed).
        public var error: String?
        /// Why the hub holds the site's next desired state back (outputs not known yet).
        public var waiting: [String] = []
        /// When each agent instance (`host/pid/start`) last reported: two within the stale time
        /// means two agents run the same site.
        var instances: [String: Date] = [:]
    }

    public let configuration: Configuration
    private let store: any StateStore
    private let key: [UInt8]
    private let logger: Logger
    private var pullSites = Set<String>()
    private var secrets: [ReferenceExpression: String] = [:]
    private var states: [String: AgentState] = [:]
    private var listeners: [String: [ObjectIdentifier: WakeSignal]] = [:]
    /// Set when the daemon shuts down: long-polls are answered at once, so that the HTTP server,
    /// which waits for the requests under way, stops without waiting out a long-poll.
    private var closing = false
    private var reportsLoaded = false
    /// A publication failed, or a site waits for outputs: the controller calls ``adopt`` again
    /// soon (``needsAnotherTry``), not only at the next reload.
    private var unfinished = false
    /// The latest revision this process published or read, per site, with its secret
    /// references: a long-poll woken by a publication here is answered without a read.
    private var latest: [String: (revision: SiteRevision, references: [String])] = [:]

    public init(store: any StateStore, key: [UInt8], configuration: Configuration = Configuration(), logger: Logger) {
        self.store = store
        self.key = key
        self.configuration = configuration
        self.logger = logger
    }

    /// Puts `desired` in force for the agents: publishes the bundle of each pull site in
    /// `publishing` (this process owns the site), wakes the agents whose generation rose, and
    /// forgets sites no longer declared or no longer pull sites. `outputs` holds the known
    /// outputs of the resources on other sites that pull sites' resources refer to. Returns the
    /// sites whose generation rose (for other replicas to wake their long-polls too).
    @discardableResult
    public func adopt(_ desired: DesiredState, secrets: [ReferenceExpression: String], revision: String?, outputs: [ResourceID: Fields], publishing: Set<String>) async -> [String] {
        var published: [String] = []
        let pulled = desired.sites.values.filter(\.isPull).map(\.name)
        pullSites = Set(pulled)
        self.secrets = secrets
        if !reportsLoaded { await loadReports() }
        for site in states.keys where !pullSites.contains(site) { states[site] = nil }
        var publications: [SitePublication] = []
        var references: [String: [String]] = [:]
        // Grouped once: a bundle per site never scans the whole estate.
        var bySite: [String: [DesiredResource]] = [:]
        for resource in desired.resources where publishing.contains(resource.id.site) { bySite[resource.id.site, default: []].append(resource) }
        unfinished = false
        for site in pulled.sorted() where publishing.contains(site) {
            let bundle = SiteBundle.make(site: desired.sites[site], named: site, resources: bySite[site] ?? [], outputs: { outputs[$0] })
            var state = states[site] ?? AgentState()
            state.waiting = bundle.waiting
            states[site] = state
            guard bundle.waiting.isEmpty else {
                unfinished = true
                logger.warning("the desired state of a pull site is held: it needs outputs not known yet", metadata: ["site": "\(site)", "waiting": "\(bundle.waiting.joined(separator: "; "))"])
                continue
            }
            let missing = bundle.secretReferences.filter { secrets[$0] == nil }
            guard missing.isEmpty else {
                unfinished = true
                logger.warning("the desired state of a pull site is held: a secret could not be read", metadata: ["site": "\(site)", "references": "\(missing.map(\.description))"])
                continue
            }
            publications.append(SitePublication(site: site, digest: bundle.digest(secrets: secrets, key: key), payload: bundle.payload, sourceRevision: revision))
            references[site] = bundle.secretReferences.map(\.description)
        }
        // All in one write where the store can: a reload that changes a thousand sites publishes
        // them together, and every agent is woken right after.
        let current: [SiteRevision]
        do {
            current = try await store.publishSiteRevisions(publications, at: Date())
        } catch {
            logger.warning("could not publish pull sites' desired states; trying again within a heartbeat", metadata: ["sites": "\(publications.count)", "error": "\(error)"])
            unfinished = true
            return []
        }
        for revision in current {
            latest[revision.site] = (revision, references[revision.site] ?? [])
            guard states[revision.site]?.desiredGeneration != revision.generation else { continue }
            states[revision.site]?.desiredGeneration = revision.generation
            logger.info("pull site desired state published", metadata: ["site": "\(revision.site)", "generation": "\(revision.generation)"])
            published.append(revision.site)
        }
        for site in published { wake(site) }
        return published
    }

    /// Whether the last ``adopt`` left something unpublished that may go through now: the store
    /// did not answer (a database restart), or outputs a site waits for may have appeared since.
    public var needsAnotherTry: Bool { unfinished }

    /// Answers every long-poll under way now, and every later one at once (the daemon is
    /// shutting down); the agents ask again, of whichever hub answers then.
    public func close() {
        closing = true
        for signals in listeners.values {
            for signal in signals.values { signal.signal() }
        }
    }

    /// Wakes the long-polls of `site` (a revision was published, here or by another replica).
    public func wake(_ site: String) {
        for signal in listeners[site]?.values ?? [:].values { signal.signal() }
    }

    /// The revision of `site` newer than `after` (any, when nil), waiting up to `wait` for one.
    public func desired(site: String, after: Int64?, wait: Duration, clock: any ControllerClock) async throws -> Answer {
        guard pullSites.contains(site) else { throw HubError.notPullSite(site) }
        if let answer = try await newer(site, after: after) { return answer }
        let wait = min(wait, configuration.maxWait)
        if wait > .zero, !closing {
            let signal = WakeSignal()
            let id = ObjectIdentifier(signal)
            listeners[site, default: [:]][id] = signal
            defer { listeners[site]?[id] = nil }
            // Asked again after registering: a publication in between is not missed.
            if let answer = try await newer(site, after: after) { return answer }
            _ = await signal.wait(for: wait, clock: clock)
            if let answer = try await newer(site, after: after) { return answer }
        }
        return .unchanged(try await store.siteRevision(site)?.generation)
    }

    private func newer(_ site: String, after: Int64?) async throws -> Answer? {
        var known = latest[site]
        if (known?.revision.generation ?? 0) <= (after ?? 0) {
            // Another replica (or an earlier run) may have published a newer one.
            if let stored = try await store.siteRevision(site), stored.generation > (known?.revision.generation ?? 0) {
                known = (stored, Self.references(in: stored.payload))
                latest[site] = known
            }
        }
        guard let (revision, references) = known else { return nil }
        // What this one shows follows the store.
        states[site, default: AgentState()].desiredGeneration = revision.generation
        guard revision.generation > (after ?? 0) else { return nil }
        var values: [String: String] = [:]
        for text in references {
            guard let expression = secrets.first(where: { $0.key.description == text })?.key, let value = secrets[expression] else {
                throw HubError.secretUnknown(site: site, reference: text)
            }
            values[text] = value
        }
        return .revision(revision, secrets: values)
    }

    /// The secret references a stored bundle lists.
    private static func references(in payload: String) -> [String] {
        guard case .map(let fields)? = try? JSONValueParser.parse(payload), case .list(let items)? = fields["secretReferences"] else { return [] }
        return items.compactMap(\.stringValue)
    }

    /// What a restarted hub knows of its agents: their last reports, from the state store.
    private func loadReports() async {
        guard let reports = try? await store.agentReports() else { return }
        reportsLoaded = true
        for report in reports { _ = tookNewer(report, anySite: true) }
    }

    /// What the state store knows of `site`'s agent, for a person: the generation published,
    /// and the last report with its age and the generation applied.
    public static func describe(site: String, store: any StateStore, now: Date) async -> String {
        let published = (try? await store.siteRevision(site))?.generation
        guard let report = (try? await store.agentReports())?.first(where: { $0.site == site }) else {
            return "managed by its agent; no report yet" + (published.map { ", generation \($0) published" } ?? ", nothing published yet")
        }
        var applied: Int?
        if case .map(let fields)? = try? JSONValueParser.parse(report.body) { applied = fields["appliedGeneration"]?.intValue }
        let age = Int(now.timeIntervalSince(report.receivedAt).rounded())
        return "managed by its agent; last report \(age) s ago, generation \(applied.map(String.init) ?? "none") applied of \(published.map(String.init) ?? "none") published"
    }

    /// Records a report from `site`'s agent instance `instance`, received now.
    public func reported(site: String, instance: String?, body: String, appliedGeneration: Int64?, error: String?, at now: Date) async throws {
        guard pullSites.contains(site) else { throw HubError.notPullSite(site) }
        try await store.saveAgentReport(AgentReport(site: site, receivedAt: now, body: body))
        var state = states[site] ?? AgentState()
        state.lastReport = now
        state.appliedGeneration = appliedGeneration
        state.error = error
        if let instance {
            let window = Double(configuration.staleAfter.components.seconds) + Double(configuration.staleAfter.components.attoseconds) / 1e18
            state.instances[instance] = now
            state.instances = state.instances.filter { now.timeIntervalSince($0.value) < window }
            if state.instances.count > 1 {
                let names = state.instances.keys.sorted().joined(separator: ", ")
                logger.error("two agents report for one pull site: each acts on it", metadata: ["site": "\(site)", "agents": "\(names)"])
                state.error = "more than one agent reports for this site (\(names)): stop all but one" + (error.map { "; " + $0 } ?? "")
            }
        }
        states[site] = state
    }

    /// Takes a report another replica stored, if it is newer than the last one this process
    /// knows of the site; true when it was.
    public func tookNewer(_ record: AgentReport, anySite: Bool = false) -> Bool {
        guard anySite || pullSites.contains(record.site), record.receivedAt > (states[record.site]?.lastReport ?? .distantPast) else { return false }
        var state = states[record.site] ?? AgentState()
        state.lastReport = record.receivedAt
        if case .map(let fields)? = try? JSONValueParser.parse(record.body) {
            state.appliedGeneration = fields["appliedGeneration"]?.intValue.map(Int64.init)
            state.error = fields["error"]?.stringValue
        }
        states[record.site] = state
        return true
    }

    /// What is known of one pull site's agent; nil for a site that is not one.
    public func agentState(_ site: String) -> AgentState? {
        pullSites.contains(site) ? states[site] ?? AgentState() : nil
    }

    /// What is known of each pull site's agent, by site.
    public func agentStates() -> [String: AgentState] {
        var result: [String: AgentState] = [:]
        for site in pullSites { result[site] = states[site] ?? AgentState() }
        return result
    }

    /// Whether `site`'s agent is stale at `now`: no report for ``Configuration/staleAfter``
    /// (since `since`, when it never reported: the hub's start).
    public func isStale(_ site: String, at now: Date, since start: Date) -> Bool {
        isStale(states[site], at: now, since: start)
    }

    /// Every pull site's agent as known now, and whether it is stale: one call for all of them.
    public func agentStates(at now: Date, since start: Date) -> [String: (state: AgentState, stale: Bool)] {
        var result: [String: (state: AgentState, stale: Bool)] = [:]
        for site in pullSites {
            let state = states[site] ?? AgentState()
            result[site] = (state, isStale(state, at: now, since: start))
        }
        return result
    }

    private func isStale(_ state: AgentState?, at now: Date, since start: Date) -> Bool {
        let last = state?.lastReport ?? start
        return now.timeIntervalSince(last) >= Double(configuration.staleAfter.components.seconds) + Double(configuration.staleAfter.components.attoseconds) / 1e18
    }
}
