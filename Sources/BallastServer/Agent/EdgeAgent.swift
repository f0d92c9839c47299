import BallastCore
import BallastEngine
import BallastState
import Foundation
import Logging

/// `ballast agent`: keeps one pull site converged from the desired state its hub publishes,
/// and reports back. Two loops beside the watch loop (a ``WatchController`` on a
/// ``HubManifestSource``):
///
/// - **Fetch**: long-polls the hub for a generation newer than the one held. A new one is
///   checked before it is accepted: the right site, a higher generation, documents that load
///   and validate here, every secret present, and not empty while the site holds resources. A
///   refused one is reported and never applied; the last good one stays in force. Only an
///   accepted generation can make the watch loop prune, and then through the deletion budget.
/// - **Report**: every heartbeat, the site's conditions, outputs, recent journal entries and
///   what went wrong, to `POST /v1/agents/SITE/report`. While the hub is away, nothing is lost:
///   the next report that gets through carries the state as it is then, and the journal entries
///   since the last one the hub took (the newest ``journalLimit``).
///
/// Losing the hub changes nothing on the site: the watch loop keeps healing from the cache.
public actor EdgeAgent {
    public let site: String
    let client: HubClient
    let cache: AgentCache
    let source: HubManifestSource
    let planner: PlanService
    let store: any StateStore
    let heartbeat: Duration
    let wait: Duration
    let logger: Logger
    /// Set once the watch loop runs: what the reports read conditions from.
    private var controller: WatchController?
    /// What was wrong with the hub's last desired state, for the next reports.
    private var lastError: String?
    /// Why the last fetch failed, if it did.
    private var fetchError: String?
    /// The highest generation refused: not fetched again.
    private var refusedGeneration: Int64?
    /// The newest journal entry the hub has taken.
    private var reportedJournal: Int64 = 0

    /// Names this process in its reports: two agents on one site are told apart.
    let instance = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(Int(Date().timeIntervalSince1970))"

    /// Journal entries sent per report at most.
    public static let journalLimit = 200

    public init(
        site: String, client: HubClient, cache: AgentCache, source: HubManifestSource, planner: PlanService, store: any StateStore, heartbeat: Duration, wait: Duration,
        logger: Logger
    ) {
        self.site = site
        self.client = client
        self.cache = cache
        self.source = source
        self.planner = planner
        self.store = store
        self.heartbeat = heartbeat
        self.wait = wait
        self.logger = logger
    }

    public func attach(_ controller: WatchController) {
        self.controller = controller
    }

    /// The generation fetched after: the one held, or a higher one refused.
    private var after: Int64? {
        let held = cache.entry?.generation
        guard let refused = refusedGeneration else { return held }
        return max(held ?? 0, refused)
    }

    /// Fetches until one desired state is accepted (the first start with an empty cache), or
    /// the task is cancelled. Errors are logged and retried with backoff.
    public func fetchFirst() async {
        var failures = 0
        var reportedAt: ContinuousClock.Instant?
        while !Task.isCancelled, cache.entry == nil {
            let fetch = await fetchOnce()
            // A refused first state is reported, with this machine's plugin schemas, so that the
            // hub shows why and can validate the site's manifests itself.
            if case .quiet = fetch, lastError != nil, reportedAt.map({ ContinuousClock.now - $0 >= heartbeat }) ?? true {
                reportedAt = ContinuousClock.now
                _ = await reportOnce()
            }
            failures = await pace(fetch, failures: failures)
        }
    }

    /// Long-polls for ever (until cancelled), accepting each new generation.
    public func fetchForever() async {
        var failures = 0
        while !Task.isCancelled {
            failures = await pace(fetchOnce(), failures: failures)
        }
    }

    /// What one fetch came to.
    enum Fetch {
        /// A new desired state was accepted.
        case accepted
        /// The hub answered, with nothing to apply (no change, or a refused one).
        case quiet(since: ContinuousClock.Instant)
        /// The hub could not be asked.
        case failed
    }

    /// Waits as `fetch` asks before the next one; returns the failures in a row. A hub that
    /// answers "nothing new" at once, whatever the wait, is asked at most once a second.
    private func pace(_ fetch: Fetch, failures: Int) async -> Int {
        switch fetch {
        case .accepted:
            return 0
        case .quiet(let since):
            if ContinuousClock.now - since < .seconds(1) { try? await Task.sleep(until: since + .seconds(1)) }
            return 0
        case .failed:
            try? await Task.sleep(for: Self.backoff(failures + 1))
            return failures + 1
        }
    }

    /// 0.5 s doubling to 30 s, with ±20 % jitter: a thousand agents back from an outage do not
    /// knock on the hub in step.
    static func backoff(_ failures: Int) -> Duration {
        let base = min(30.0, 0.5 * pow(2.0, Double(max(0, failures - 1))))
        return .milliseconds(Int(base * 1000 * Double.random(in: 0.8...1.2)))
    }

    private func fetchOnce() async -> Fetch {
        let start = ContinuousClock.now
        do {
            let answer = try await client.fetch(after: after, wait: cache.entry == nil ? .zero : wait)
            fetchError = nil
            source.fetched(at: Date(), error: nil)
            switch answer {
            case .unchanged(let latest):
                if let latest, let held = cache.entry?.generation, latest < held {
                    complain("the hub's latest generation \(latest) is lower than the one held here, \(held) (a hub restored from a backup, or a lagging replica): nothing is applied from it")
                } else if lastError?.hasPrefix("the hub's latest generation") == true {
                    lastError = nil
                }
                return .quiet(since: start)
            case .changed(let answer):
                return await consider(answer) ? .accepted : .quiet(since: start)
            }
        } catch {
            fetchError = error.description
            source.fetched(at: Date(), error: error.description)
            logger.warning("cannot fetch the desired state from the hub; the last one stays in force", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    private func complain(_ message: String) {
        if lastError != message { logger.error("\(message)") }
        lastError = message
    }

    /// Checks a desired state the hub sent; accepts it into the cache and wakes the watch loop
    /// (true), or refuses it (reported, never applied).
    func consider(_ answer: HubClient.Answer) async -> Bool {
        if let refusal = await refusal(of: answer) {
            refusedGeneration = max(refusedGeneration ?? 0, answer.generation)
            complain("generation \(answer.generation) from the hub is refused, and generation \(cache.entry.map { String($0.generation) } ?? "none") stays in force: \(refusal)")
            return false
        }
        let entry = AgentCache.Entry(
            generation: answer.generation, digest: answer.digest, sourceRevision: answer.sourceRevision, documents: answer.documents, secrets: answer.secrets,
            receivedAt: Date())
        do {
            try cache.store(entry)
        } catch {
            complain("generation \(answer.generation) could not be written to \(cache.directory): \(error)")
            return false
        }
        lastError = nil
        logger.info("accepted a new desired state from the hub", metadata: ["generation": "\(answer.generation)", "revision": "\(answer.sourceRevision ?? "")"])
        source.refresh()
        return true
    }

    /// Why `answer` must not be applied, or nil.
    func refusal(of answer: HubClient.Answer) async -> String? {
        if let held = cache.entry {
            if answer.generation < held.generation { return "its generation is lower than the one held here (\(held.generation))" }
            if answer.generation == held.generation { return answer.digest == held.digest ? "it is the generation held here" : "it has the generation held here, with other contents" }
        }
        guard SpecDigest.bytes(hex: answer.digest)?.count == 32 else { return "its digest is not a SHA-256" }
        var sites = 0
        var resources = 0
        for document in answer.documents {
            guard case .map(let fields) = document, let kind = fields["kind"]?.stringValue, case .map(let metadata)? = fields["metadata"] else {
                return "a document is not a manifest"
            }
            if kind == "Site" {
                guard metadata["name"]?.stringValue == site else { return "it declares a site other than \(site)" }
                sites += 1
            } else if kind == "Estate" {
                return "it holds an Estate document"
            } else {
                guard metadata["site"]?.stringValue == site else { return "it places a resource on a site other than \(site)" }
                resources += 1
            }
        }
        guard sites == 1 else { return "it does not declare the site \(site) exactly once" }
        for reference in answer.secretReferences where answer.secrets[reference] == nil {
            return "the value of \(reference) is missing"
        }
        if resources == 0, let inventory = try? await store.inventory(), inventory.keys.contains(where: { $0.site == site }) {
            return "it declares no resources while the site holds some: an empty desired state is never applied (remove the site's resources on the hub one by one, or run 'ballast destroy' on the agent's state)"
        }
        // It must load and validate here, against this machine's providers.
        let candidate = AgentCache.Entry(
            generation: answer.generation, digest: answer.digest, sourceRevision: answer.sourceRevision, documents: answer.documents, secrets: answer.secrets, receivedAt: Date())
        let path = cache.directory + "/candidate-\(answer.generation).yaml"
        do {
            try AtomicFile.write(Data(candidate.manifests.utf8), to: path)
        } catch {
            return "it could not be written to \(path) to be checked: \(error)"
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var checker = planner
        checker.secrets = BundleSecrets(values: answer.secrets)
        let loaded = checker.load([path], readStandardInput: { [] })
        var diagnostics = loaded.diagnostics
        if let state = loaded.desired { diagnostics.append(contentsOf: SecretResolver(source: checker.secrets).resolve(state).diagnostics) }
        if diagnostics.hasErrors || loaded.desired == nil {
            let rendered = DiagnosticRenderer(files: loaded.files).render(diagnostics)
            return "it does not validate here:\n" + planner.redactor.redact(rendered)
        }
        return nil
    }

    /// Reports every heartbeat until cancelled.
    public func reportForever() async {
        while !Task.isCancelled {
            await reportOnce()
            try? await Task.sleep(for: heartbeat)
        }
    }

    /// One report; false when the hub did not take it.
    @discardableResult
    public func reportOnce() async -> Bool {
        let recent = (try? await store.events(JournalQuery(newest: Self.journalLimit))) ?? []
        let journal = recent.filter { $0.sequence > reportedJournal }
        let body = await reportBody(journal: journal)
        do {
            let desired = try await client.report(body)
            if let newest = journal.last?.sequence { reportedJournal = max(reportedJournal, newest) }
            if let desired, desired > (after ?? 0) { logger.debug("the hub has a newer desired state", metadata: ["generation": "\(desired)"]) }
            return true
        } catch {
            logger.debug("report not taken; the next one carries the state as it is then", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The schemas of the plugins this machine has for its site (all it has, before the first
    /// desired state names the site's provider): the hub validates the site's manifests against
    /// them when it does not have the plugin itself. Built-in providers are left out.
    func pluginSchemas() async -> Fields {
        let names = await controller?.provider(ofSite: site).map { [$0] } ?? planner.registry.names
        var schemas = Fields()
        for name in names where name.hasPrefix("plugin:") {
            if let provider = planner.registry.provider(named: name) { schemas[name] = ProviderSchemaJSON.encode(provider.schema()) }
        }
        return schemas
    }

    func reportBody(journal: [JournalEvent]) async -> String {
        var fields = Fields([
            "protocolVersion": .int(SiteBundle.protocolVersion), "site": .string(site), "instance": .string(instance),
            "sentAt": .string(Timestamp.string(Date(), fractionalSeconds: true)),
            "journal": .list(journal.map(JournalEventJSON.encode)),
        ])
        fields["heldGeneration"] = cache.entry.map { .int(Int($0.generation)) } ?? .null
        fields["appliedGeneration"] = source.appliedGeneration.map { .int(Int($0)) } ?? .null
        var problems = [lastError, fetchError].compactMap { $0 }
        if let controller {
            let statuses = await controller.resources(site: site)
            fields["resources"] = .list(statuses.map(StatusJSON.resource))
            if let manifests = await controller.manifests(), !manifests.valid { problems.append(manifests.diagnostics.joined(separator: "\n")) }
        } else {
            fields["resources"] = .list([])
        }
        // Every resource applied here, with no outputs too: the hub learns that it exists, and
        // resources on other sites that depend on it stop waiting.
        var outputs = Fields()
        if let inventory = try? await store.inventory() {
            for (id, entry) in inventory where id.site == site { outputs[id.description] = .map(entry.outputs) }
        }
        fields["outputs"] = .map(outputs)
        fields["schemas"] = .map(await pluginSchemas())
        fields["error"] = problems.isEmpty ? .null : .string(planner.redactor.redact(problems.joined(separator: "\n")))
        return JSONText.string(.map(fields))
    }
}
