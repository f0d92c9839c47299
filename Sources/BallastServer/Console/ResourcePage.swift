import BallastCore
import BallastEngine
import BallastState
import Foundation

/// One resource: its conditions, the spec last applied and its outputs (sensitive fields
/// hidden), and its recent journal entries.
struct ResourcePage {
    var id: ResourceID
    var status: ResourceStatus?
    var entry: InventoryEntry?
    var events: [JournalEvent]
    var drifts: [DriftRecord]
    var catalog: SchemaCatalog
    var html: HTML
    /// Seen through a session cookie: the page offers to sign out.
    var signedIn = false

    func document() -> String {
        ConsoleLayout.document(title: "\(id) · Ballast", body: """
            <header class="top">
              <h1><a href="/">Ballast</a></h1>
              <nav class="status" aria-label="Breadcrumb"><a href="/">Estate</a> › <a href="/?site=\(HTML.component(id.site))">\(html.text(id.site))</a> › <span aria-current="page">\(html.text(id.kind))/\(html.text(id.name))</span></nav>
              \(ConsoleLayout.signOut(signedIn))
            </header>
            <main>
              <section aria-labelledby="conditions-heading">
                <h2 id="conditions-heading">\(html.text(id.description))</h2>
                \(conditions())
              </section>
              <section aria-labelledby="spec-heading">
                <h2 id="spec-heading">Spec last applied</h2>
                \(entry.map { fields(catalog.redactingSensitive($0.spec, kind: id.kind)) } ?? "<p>Not applied yet: Ballast does not manage it.</p>")
                \(entry.map { "<p class=\"count\">Generation \($0.generation) · \($0.status.rawValue) · updated \(ConsoleLayout.time($0.updatedAt))\($0.lastError.map { " · last error: \(html.text($0))" } ?? "")</p>" } ?? "")
              </section>
              <section aria-labelledby="outputs-heading">
                <h2 id="outputs-heading">Outputs</h2>
                \(entry.map { fields(catalog.redactingSensitive($0.outputs, kind: id.kind, outputs: true)) } ?? "<p>None.</p>")
              </section>
              <section aria-labelledby="drift-heading">
                <h2 id="drift-heading">Drift history</h2>
                <p class="count">What this daemon found since it started (the last \(DriftRecord.limit)).</p>
                \(driftHistory())
              </section>
              <section aria-labelledby="history-heading">
                <h2 id="history-heading">Recent journal entries</h2>
                <p class="count">Heals of drift show as the update or create that reverted it.</p>
                \(history())
              </section>
            </main>
            """)
    }

    private func conditions() -> String {
        guard let status else { return "<p>Not under watch (neither declared nor managed).</p>" }
        let rows = ResourceCondition.Kind.allCases.map { kind -> String in
            let condition = status[kind]
            let value = condition.status.map { $0 ? "True" : "False" } ?? "Unknown"
            return "<tr><th scope=\"row\">\(kind.rawValue)</th><td>\(value)</td><td>\(html.text(condition.reason.rawValue))</td><td class=\"message\">\(html.text(condition.message))</td><td>\(ConsoleLayout.time(condition.lastTransitionTime))</td></tr>"
        }.joined(separator: "\n")
        return """
            <div class="scroll"><table><thead><tr><th scope="col">Condition</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            <p class="count">\(status.declared ? "Declared" : "No longer declared") · last reconciled \(status.lastReconciled.map(ConsoleLayout.time) ?? "never")\(status.revision.map { " · commit <code>\(html.text(String($0.prefix(12))))</code>" } ?? "")</p>
            """
    }

    private func fields(_ fields: Fields) -> String {
        guard !fields.isEmpty else { return "<p>None.</p>" }
        let items = fields.map { "<dt>\(html.text($0.key))</dt><dd>\(html.text(JSONText.string($0.value)))</dd>" }.joined()
        return "<dl class=\"fields\">\(items)</dl>"
    }

    private func driftHistory() -> String {
        guard !drifts.isEmpty else { return "<p>No drift found.</p>" }
        let items = drifts.reversed().map { record -> String in
            let what = record.missing ? "the resource was missing" : (record.fields.isEmpty ? "its spec differed" : "differed in " + record.fields.map { "<code>\(html.text($0))</code>" }.joined(separator: ", "))
            let outcome: String
            switch record.outcome {
            case .healed(let action): outcome = "<span class=\"badge ok\">healed</span> by \(action.rawValue)"
            case .reported: outcome = "<span class=\"badge warn\">reported</span>, left alone"
            }
            return "<li>\(ConsoleLayout.time(record.at)) \(outcome): \(what)</li>"
        }.joined(separator: "\n")
        return "<ul class=\"events\">\(items)</ul>"
    }

    private func history() -> String {
        guard !events.isEmpty else { return "<p>No actions journaled.</p>" }
        let rows = events.reversed().map { event -> String in
            let status = event.outcome?.status.rawValue ?? "in progress"
            let error = event.outcome?.error.map { html.text($0) } ?? ""
            let commit = event.revision.map { "<code>\(html.text(String($0.prefix(12))))</code>" } ?? "—"
            return "<tr><td>\(event.sequence)</td><td>\(ConsoleLayout.time(event.startedAt))</td><td>\(event.action.rawValue)</td><td>\(status)</td><td>\(event.outcome?.attempts ?? 0)</td><td>\(commit)</td><td class=\"message\">\(error)</td></tr>"
        }.joined(separator: "\n")
        return """
            <div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Attempts</th><th scope="col">Commit</th><th scope="col">Error</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }
}
