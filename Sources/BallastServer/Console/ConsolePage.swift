import BallastCore
import BallastEngine
import BallastState
import Foundation

/// The console's main page, rendered on the server: sites, one page of resources with its
/// filters, recent events, and the manifests in force. The live parts are fragments with ids,
/// which `/v1/stream` sends again when they change (``fragments()``).
struct ConsolePage {
    var snapshot: ConsoleSnapshot
    var query: ConsoleQuery
    var events: [JournalEvent]
    var source: SourceStatus
    var html: HTML
    /// Seen through a session cookie: the page offers to sign out.
    var signedIn = false
    /// On replicas: the replicas that did not answer, whose sites are missing from the page.
    var unansweredReplicas: [String] = []

    /// The whole page.
    func document() -> String {
        let parts = fragments()
        return ConsoleLayout.document(title: "Ballast · estate", body: """
            <header class="top">
              <h1><a href="/">Ballast</a></h1>
              <div id="status" class="status">\(parts["status"]!)</div>
              \(ConsoleLayout.signOut(signedIn))
            </header>
            <main>
              <div id="alerts">\(parts["alerts"]!)</div>
              <section aria-labelledby="sites-heading">
                <h2 id="sites-heading">Sites</h2>
                <div class="scroll"><table class="sites">
                  <thead><tr><th scope="col">Site</th><th scope="col">Class</th><th scope="col">Provider</th><th scope="col">State</th><th scope="col">Since</th>\
            <th scope="col" class="num">Resources</th><th scope="col" class="num">Ready</th><th scope="col" class="num">Drifted</th><th scope="col" class="num">Failed</th>\
            <th scope="col" class="num">Cost / month</th></tr></thead>
                  <tbody id="sites">\(parts["sites"]!)</tbody>
                </table></div>
              </section>
              <section aria-labelledby="resources-heading">
                <h2 id="resources-heading">Resources</h2>
                \(filterForm())
                <p id="count" class="count" aria-live="polite">\(parts["count"]!)</p>
                <div class="scroll"><table class="resources">
                  <thead><tr><th scope="col">Resource</th><th scope="col">Site</th><th scope="col">Conditions</th><th scope="col">Message</th><th scope="col">Reconciled</th><th scope="col">Revision</th></tr></thead>
                  <tbody id="resources">\(parts["resources"]!)</tbody>
                </table></div>
                <nav id="pager" class="pager" aria-label="Pages">\(parts["pager"]!)</nav>
              </section>
              <section aria-labelledby="events-heading">
                <h2 id="events-heading">Recent events</h2>
                <ol id="events" class="events">\(parts["events"]!)</ol>
              </section>
            </main>
            <footer><span id="live" class="live">Live updates need JavaScript; reload to refresh.</span></footer>
            <script src="/console.js" defer></script>
            """)
    }

    /// The parts that change, by element id.
    func fragments() -> [String: String] {
        ["status": status(), "alerts": alerts(), "sites": sites(), "count": count(), "resources": resources(), "pager": pager(), "events": eventList()]
    }

    private func status() -> String {
        var items: [String] = []
        if let revision = snapshot.manifests?.revision {
            let time = revision.committedAt.map { " · " + ConsoleLayout.time($0) } ?? ""
            let subject = revision.subject.map { " “\(html.text($0))”" } ?? ""
            items.append("<span>commit <code>\(html.text(revision.short))</code>\(subject)\(time)</span>")
        } else {
            items.append("<span>\(html.text(source.location))</span>")
        }
        if snapshot.suspended { items.append("<span class=\"badge warn\">syncing suspended</span>") }
        if let manifests = snapshot.manifests { items.append("<span>\(manifests.resources) declared</span>") }
        return items.joined(separator: " ")
    }

    private func alerts() -> String {
        var items: [String] = []
        if let manifests = snapshot.manifests, !manifests.valid {
            let held = manifests.heldRevision.map { "Commit <code>\(html.text($0.short))</code> is held: its manifests do not validate" } ?? "The manifests changed but do not validate"
            let lines = manifests.diagnostics.prefix(20).map { html.text($0) }.joined(separator: "\n")
            items.append("<div class=\"alert bad\" role=\"alert\"><strong>\(held).</strong> The last good ones stay in force.<pre>\(lines)</pre></div>")
        }
        if !unansweredReplicas.isEmpty {
            let names = unansweredReplicas.map { "<code>\(html.text($0))</code>" }.joined(separator: ", ")
            items.append("<div class=\"alert warn\" role=\"status\"><strong>Replica \(names) did not answer:</strong> the sites it owns are missing from this page.</div>")
        }
        if let error = source.error { items.append("<div class=\"alert warn\" role=\"status\"><strong>Source:</strong> \(html.text(error))</div>") }
        if let notice = source.notice { items.append("<div class=\"alert info\" role=\"status\">\(html.text(notice))</div>") }
        return items.joined()
    }

    private func sites() -> String {
        guard !snapshot.sites.isEmpty else { return "<tr><td colspan=\"10\">No sites declared.</td></tr>" }
        return snapshot.sites.map { row in
            let site = row.status
            let link = "/?site=\(HTML.component(site.name))"
            return "<tr><th scope=\"row\"><a href=\"\(link)\">\(html.text(site.name))</a></th><td>\(html.text(site.siteClass))</td><td>\(html.text(site.provider))</td>"
                + "<td>\(state(site))</td><td>\(ConsoleLayout.time(site.since))</td><td class=\"num\">\(row.resources)</td>"
                + "<td class=\"num\">\(row.counts[.ready] ?? 0)</td><td class=\"num\">\(count(row.counts[.drifted] ?? 0, "warn"))</td><td class=\"num\">\(count(row.counts[.failed] ?? 0, "bad"))</td>"
                + "<td class=\"num\">\(cost(row.cost))</td></tr>"
        }.joined(separator: "\n")
    }

    /// Up or down by its circuit breaker; a pull site also says when its agent last reported,
    /// and is stale once the agent has been silent for three heartbeats.
    private func state(_ site: SiteStatus) -> String {
        let reason = html.text(site.reason ?? "")
        guard let agent = site.agent else {
            return site.up ? "<span class=\"badge ok\">up</span>" : "<span class=\"badge bad\" title=\"\(reason)\">down · circuit open</span>"
        }
        let badge = agent.stale ? "<span class=\"badge warn\" title=\"\(reason)\">stale</span>" : "<span class=\"badge ok\">up</span>"
        let seen = agent.lastSeen.map { "agent seen \(ConsoleLayout.time($0))" } ?? "agent not seen since the hub started"
        return "\(badge) <span class=\"muted\">pull · \(seen)</span>"
    }

    /// What the site's declared resources cost a month, by the price books; "—" when none covers them.
    private func cost(_ rows: [CostReport.Row]) -> String {
        guard !rows.isEmpty else { return "<span class=\"muted\" title=\"no price book covers these resources\">—</span>" }
        return rows.map { row in
            let carbon = row.carbonGrams.map { "; \(MoneyText.carbon(grams: $0))/mo" } ?? ""
            return "<span title=\"\(row.resources) priced resources\(html.text(carbon))\">\(html.text(MoneyText.amount(row.monthly, currency: row.currency)))</span>"
        }.joined(separator: "<br>")
    }

    private func count(_ value: Int, _ tone: String) -> String {
        value == 0 ? "0" : "<span class=\"badge \(tone)\">\(value)</span>"
    }

    private func count() -> String {
        guard snapshot.total > 0 else { return query.filter.isEmpty ? "No resources under watch yet." : "No resource matches these filters." }
        let first = snapshot.offset + 1
        let last = snapshot.offset + snapshot.rows.count
        return snapshot.rows.isEmpty ? "No resources on this page; \(snapshot.total) match." : "\(first)–\(last) of \(snapshot.total)"
    }

    private func resources() -> String {
        snapshot.rows.map(resourceRow).joined(separator: "\n")
    }

    private func resourceRow(_ row: ConsoleSnapshot.Row) -> String {
        let status = row.status
        let id = status.id
        let badges = ResourceCondition.Kind.allCases.compactMap { badge(status[$0]) }.joined(separator: " ")
        var message = status.declared ? "" : "no longer declared"
        for kind in [ResourceCondition.Kind.failed, .drifted] where status.holds(kind) {
            message = status[kind].message
            break
        }
        let labels = row.labels.map { "<span class=\"label\">\(html.text($0.key))=\(html.text($0.value))</span>" }.joined(separator: " ")
        let labelBlock = labels.isEmpty ? "" : "<div class=\"labels\">\(labels)</div>"
        let reconciled = status.lastReconciled.map(ConsoleLayout.time) ?? "—"
        let revision = status.revision.map { "<code>\(html.text(String($0.prefix(12))))</code>" } ?? "—"
        var cells = "<tr><th scope=\"row\"><a href=\"/resources/\(HTML.component(id.description))\">\(html.text(id.kind))/\(html.text(id.name))</a>\(labelBlock)</th>"
        cells += "<td>\(html.text(id.site))</td><td>\(badges)</td><td class=\"message\">\(html.text(message))</td>"
        cells += "<td>\(reconciled)</td><td>\(revision)</td></tr>"
        return cells
    }

    /// A condition as a badge; nil for one that does not hold (not shown, to keep rows calm).
    private func badge(_ condition: ResourceCondition) -> String? {
        let tone: String
        switch (condition.kind, condition.status) {
        case (_, nil): tone = "unknown"
        case (.ready, true?), (.synced, true?): tone = "ok"
        case (.drifted, true?): tone = "warn"
        case (.failed, true?): tone = "bad"
        case (.ready, false?), (.synced, false?): tone = "warn"
        default: return nil
        }
        let label = switch condition.status {
        case nil: "\(condition.kind.rawValue)?"
        case true?: condition.kind.rawValue
        case false?: "not \(condition.kind.rawValue)"
        }
        return "<span class=\"badge \(tone)\" title=\"\(html.text(condition.reason.rawValue))\">\(label)</span>"
    }

    private func pager() -> String {
        let pages = max(1, (snapshot.total + query.perPage - 1) / query.perPage)
        var links: [String] = []
        if query.page > 1 { links.append("<a rel=\"prev\" href=\"/?\(HTML.escape(query.queryString(page: min(query.page - 1, pages))))\">← Previous</a>") }
        links.append("<span>Page \(min(query.page, pages)) of \(pages)</span>")
        if query.page < pages { links.append("<a rel=\"next\" href=\"/?\(HTML.escape(query.queryString(page: query.page + 1)))\">Next →</a>") }
        return links.joined(separator: " ")
    }

    private func eventList() -> String {
        guard !events.isEmpty else { return "<li>No actions journaled yet.</li>" }
        return events.reversed().map { event in
            let status = event.outcome?.status.rawValue ?? "in progress"
            let tone = switch event.outcome?.status {
            case .succeeded?, .adopted?: "ok"
            case .failed?: "bad"
            case nil: "unknown"
            default: "warn"
            }
            let error = event.outcome?.error.map { " — \(html.text($0))" } ?? ""
            let commit = event.revision.map { " <code>\(html.text(String($0.prefix(12))))</code>" } ?? ""
            return "<li><time>\(ConsoleLayout.time(event.startedAt))</time> <span class=\"badge \(tone)\">\(status)</span> \(event.action.rawValue) "
                + "<a href=\"/resources/\(HTML.component(event.id.description))\">\(html.text(event.id.description))</a>\(commit)\(error)</li>"
        }.joined(separator: "\n")
    }

    private func filterForm() -> String {
        func options(_ values: [String], selected: String?, all: String) -> String {
            (["<option value=\"\">\(all)</option>"] + values.map { value in
                "<option value=\"\(html.text(value))\"\(value == selected ? " selected" : "")>\(html.text(value))</option>"
            }).joined()
        }
        let siteNames = snapshot.sites.map(\.status.name)
        let conditions = ResourceCondition.Kind.allCases.map(\.rawValue)
        let sizes = ConsoleQuery.pageSizes.map { "<option value=\"\($0)\"\($0 == query.perPage ? " selected" : "")>\($0)</option>" }.joined()
        return """
            <form class="filters" method="get" action="/" role="search" aria-label="Filter resources">
              <label>Site <select name="site">\(options(siteNames, selected: query.filter.site, all: "all sites"))</select></label>
              <label>Kind <select name="kind">\(options(snapshot.kinds, selected: query.filter.kind, all: "all kinds"))</select></label>
              <label>Condition <select name="condition">\(options(conditions, selected: query.filter.condition?.rawValue, all: "any"))</select></label>
              <label>Label <input name="label" list="label-keys" placeholder="team=payments" value="\(html.text(query.filter.label ?? ""))"></label>
              <datalist id="label-keys">\(snapshot.labelKeys.map { "<option value=\"\(html.text($0))\">" }.joined())</datalist>
              <label>Id contains <input name="q" type="search" value="\(html.text(query.filter.search ?? ""))"></label>
              <label>Per page <select name="per">\(sizes)</select></label>
              <button type="submit">Filter</button> <a href="/">Clear</a>
            </form>
            """
    }
}
