import BallastCore
import BallastState
import Foundation

/// Pull sites on the hub: the controller never reconciles them (their agents do); it publishes
/// their desired state to ``AgentHub``, takes their agents' reports into its status table, and
/// marks their resources `Unknown` once an agent is stale.
extension WatchController {
    /// Whether this process reconciles resources on `site`: it owns it (one daemon, or the
    /// replica holding its lease), and no agent acts on it.
    func actsOn(_ site: String) -> Bool {
        owns(site) && desired?.state.sites[site]?.isPull != true
    }

    /// Publishes the desired state in force to the pull sites' agents, with the outputs the
    /// inventory (and, for pull sites, their agents' reports) hold for references across sites.
    func publishToAgents(inventory: Inventory?) async {
        guard let desired, desired.state.sites.values.contains(where: \.isPull) else {
            await agents.adopt(desired?.state ?? DesiredState(sites: [:], resources: []), secrets: [:], revision: nil, outputs: [:], publishing: [])
            return
        }
        // Only the outputs pull sites' resources refer to, on other sites.
        var targets = Set<ResourceID>()
        for resource in desired.state.resources where desired.state.sites[resource.id.site]?.isPull == true {
            for dependency in resource.dependencies where dependency.site != resource.id.site { targets.insert(dependency) }
        }
        var outputs: [ResourceID: Fields] = [:]
        if !targets.isEmpty {
            var read = inventory
            if read == nil { read = try? await applier.store.inventory() }
            let inventory = read ?? [:]
            for id in targets {
                if let fields = agentOutputs[id] ?? inventory[id]?.outputs { outputs[id] = fields }
            }
        }
        let publishing = Set(desired.state.sites.values.filter { $0.isPull && owns($0.name) }.map(\.name))
        let published = await agents.adopt(desired.state, secrets: desired.secrets, revision: desired.revision?.commit, outputs: outputs, publishing: publishing)
        agentStates = await agents.agentStates()
        // Agents long-polling another replica hear of it at once.
        if let replicas { for site in published { await replicas.store.broadcast(.sitePublished(site)) } }
    }

    /// A report from `site`'s agent: its resources' conditions go into the status table as
    /// reported (the agent reconciled them), and its outputs feed references from other sites.
    public func agentReported(site: String, body: String, report: AgentReportDocument) async throws {
        let now = Date()
        try await agents.reported(site: site, instance: report.instance, body: body, appliedGeneration: report.appliedGeneration, error: report.error, at: now)
        agentStates[site] = await agents.agentState(site)
        await take(report, site: site, at: now)
    }

    /// Puts a report's conditions and outputs in force here. Resources that depend on an output
    /// that appeared or changed are reconciled again (they may have been waiting for it), and
    /// pull sites that refer to it get it in their next bundle.
    private func take(_ report: AgentReportDocument, site: String, at now: Date) async {
        let declared = Set(pullSiteIDs[site] ?? [])
        for status in report.resources where declared.contains(status.id) {
            table.update(status.id, declared: true, at: now) { $0 = status }
        }
        var changed: [ResourceID] = []
        for (id, fields) in report.outputs where declared.contains(id) && agentOutputs[id] != fields {
            agentOutputs[id] = fields
            changed.append(id)
        }
        staleSites.remove(site)
        metrics.resources(table.counts)
        learnSchema(from: report, site: site)
        guard !changed.isEmpty, let desired else { return }
        var republish = false
        for id in changed.sorted() {
            for dependent in desired.dependents[id] ?? [] {
                if desired.state.sites[dependent.site]?.isPull == true { republish = republish || dependent.site != site } else { await enqueue(dependent) }
            }
        }
        if republish { await publishToAgents(inventory: nil) }
    }

    /// The schema of a plugin only the pull sites' agents have, from `site`'s agent: once it is
    /// new or changed, the manifests in force are validated again against it (a field the
    /// plugin does not have is then an error here, before any agent sees it).
    private func learnSchema(from report: AgentReportDocument, site: String) {
        guard let reportedSchemas = planner.reportedSchemas, let desired, let provider = desired.state.sites[site]?.provider,
              let schema = report.schemas[provider],
              Site.Mode.providersOnlyPullSitesUse(desired.state.sites.values.map { ($0.provider, $0.mode) }).contains(provider),
              reportedSchemas.knows(provider) || planner.registry.catalog.providers[provider] == nil,
              reportedSchemas.learn(schema) else { return }
        logger.info("validating the manifests again with the schema a pull site's agent reported", metadata: ["site": "\(site)", "provider": "\(provider)"])
        revalidation.signal()
    }

    /// With replicas, an agent reports to whichever it reaches: the others read its reports
    /// from the state store, so that every replica shows the site as it is.
    func takeStoredReports() async {
        guard replicas != nil, let desired, let stored = try? await applier.store.agentReports() else { return }
        for record in stored where desired.state.sites[record.site]?.isPull == true {
            guard await agents.tookNewer(record),
                  let report = try? AgentReportDocument(record.body, site: record.site) else { continue }
            await take(report, site: record.site, at: record.receivedAt)
        }
    }

    /// Every heartbeat: a pull site whose agent stopped reporting has its resources marked
    /// `Unknown`, with the age of the last report; they never read `Ready` from an old report.
    nonisolated func watchAgentStaleness() async {
        while !Task.isCancelled {
            try? await clock.sleep(for: configuration.agents.heartbeat / 2)
            if Task.isCancelled { return }
            await markStaleAgents()
        }
    }

    func markStaleAgents() async {
        // What a failed write or a missing output held back is tried again every half heartbeat.
        if await agents.needsAnotherTry { await publishToAgents(inventory: nil) }
        await takeStoredReports()
        guard desired != nil else { return }
        let now = Date()
        let known = await agents.agentStates(at: now, since: startedAt)
        agentStates = known.mapValues(\.state)
        for (site, (state, stale)) in known {
            let exported = AgentExport(stale: stale, lastReport: state.lastReport, desired: state.desiredGeneration, applied: state.appliedGeneration)
            if exportedAgents[site] != exported {
                exportedAgents[site] = exported
                metrics.agent(site, stale: stale, lastReport: state.lastReport, desired: state.desiredGeneration, applied: state.appliedGeneration)
            }
            guard stale else { continue }
            let last = state.lastReport
            let reason: ConditionReason = last == nil ? .agentNotReported : .agentStale
            let message = last.map { "no report from the site's agent for \(Int(now.timeIntervalSince($0))) s (last at \(Timestamp.string($0))); its state is not known" }
                ?? "the site's agent has not reported since the hub started"
            if staleSites.insert(site).inserted {
                logger.warning("pull site stale: its agent stopped reporting", metadata: ["site": "\(site)"])
            }
            for id in pullSiteIDs[site] ?? [] {
                table.update(id, declared: true, at: now) { status in
                    for kind in ResourceCondition.Kind.allCases { status.set(kind, Bool?.none, reason: reason, message: message, at: now) }
                }
            }
        }
        metrics.resources(table.counts)
    }

    /// What the agent metrics last said of a site: exported again only when it changes.
    struct AgentExport: Equatable {
        var stale: Bool
        var lastReport: Date?
        var desired: Int64?
        var applied: Int64?
    }

    /// The provider `name` uses in the manifests in force; nil before any are in force.
    public func provider(ofSite name: String) -> String? {
        desired?.state.sites[name]?.provider
    }

    /// What is known of a pull site's agent, for status.
    func agentSite(_ name: String, now: Date) -> SiteStatus.AgentSite? {
        guard desired?.state.sites[name]?.isPull == true else { return nil }
        let state = agentStates[name]
        return SiteStatus.AgentSite(
            lastSeen: state?.lastReport, stale: staleSites.contains(name), desiredGeneration: state?.desiredGeneration,
            appliedGeneration: state?.appliedGeneration, error: state?.error, waiting: state?.waiting ?? [])
    }
}
