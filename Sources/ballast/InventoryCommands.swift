import ArgumentParser
import BallastCore
import BallastState
import Foundation

/// `ballast get`: the inventory.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "List the resources Ballast manages, with their status and outputs.")

    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text
    @Argument(help: "Only these ids (Kind/name@site).")
    var ids: [String] = []

    func validate() throws {
        for id in ids where ResourceID(parsing: id) == nil {
            throw ValidationError("'\(id)' is not a resource id: write Kind/name@site")
        }
    }

    func run() async throws {
        let context = try Runtime(runtime)
        let inventory = try await context.existingStore().inventory()
        let wanted = Set(ids.compactMap(ResourceID.init(parsing:)))
        let unknown = wanted.filter { inventory[$0] == nil }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map(\.description).joined(separator: ", ")
            Terminal.standardError("ballast: error: this state manages no \(names)\(Suggestion.hint(for: unknown[0].description, among: inventory.keys.map(\.description).sorted()))\n")
            throw ExitCode.failure
        }
        let entries = inventory.values
            .filter { wanted.isEmpty || wanted.contains($0.id) }
            .sorted { $0.id < $1.id }
        // Plugins are described only when the inventory holds kinds no built-in provider serves
        // (their sensitive fields are redacted by their schemas).
        var catalog = context.registry.catalog
        let builtInKinds = Set(catalog.allKinds)
        if entries.contains(where: { !builtInKinds.contains($0.id.kind) }) { catalog = context.registry.catalogOfEveryProvider() }
        switch output {
        case .json:
            Terminal.standardOutput(JSONText.pretty(.map(Fields([
                "formatVersion": .int(1),
                "resources": .list(entries.map { InventoryJSON.encode($0, catalog: catalog) }),
            ]))))
        case .text:
            if entries.isEmpty { Terminal.standardOutput("Ballast manages no resources in this state.\n") }
            for entry in entries {
                let outputs = entry.outputs.entries.map { "\($0.key)=\(ValueFormatter.format($0.value))" }.joined(separator: " ")
                let standsIn = entry.standsInFor.map { "  stands in for \($0)" } ?? ""
                Terminal.standardOutput("\(entry.id)  \(entry.status.rawValue)  gen \(entry.generation)  \(outputs)\(standsIn)\(entry.lastError.map { "  error: \($0)" } ?? "")\n")
            }
        }
    }
}

/// Inventory entries as JSON, with sensitive spec fields redacted.
enum InventoryJSON {
    static func encode(_ entry: InventoryEntry, catalog: SchemaCatalog) -> Value {
        let spec = catalog.redactingSensitive(entry.spec, kind: entry.id.kind)
        var fields = Fields([
            "id": .string(entry.id.description),
            "kind": .string(entry.id.kind),
            "name": .string(entry.id.name),
            "site": .string(entry.id.site),
            "status": .string(entry.status.rawValue),
            "lastError": entry.lastError.map(Value.string) ?? .null,
            "generation": .int(entry.generation),
            "spec": .map(spec),
            "specDigest": .string(entry.specDigest),
            "outputs": .map(catalog.redactingSensitive(entry.outputs, kind: entry.id.kind, outputs: true)),
            "dependencies": .list(entry.dependencies.map { .string($0.description) }),
            "preventDestroy": .bool(entry.preventDestroy),
            "deletion": .string(entry.deletion.rawValue),
            "createdAt": .string(Timestamp.string(entry.createdAt)),
            "updatedAt": .string(Timestamp.string(entry.updatedAt)),
        ])
        // Only for an instance failover placed: the site it stands in for.
        if let site = entry.standsInFor { fields["standsInFor"] = .string(site) }
        return .map(fields)
    }
}

/// `ballast status`: a summary of the state.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Summarise the state: resources by status and site, the lock, unfinished actions.")

    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "Read the status from a running 'ballast watch' at this URL (e.g. http://127.0.0.1:7070).")
    var server: String?
    @Option(parsing: .unconditional, help: "With --server: how long to wait for the daemon, such as 10s or 500ms.")
    var timeout: String = "10s"
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        try Terminal.requireDuration(timeout, option: "--timeout", atLeast: .milliseconds(1))
    }

    func run() async throws {
        if let server {
            try await ServerStatus(baseURL: server, timeout: Terminal.duration(timeout)!, format: output).print()
            return
        }
        let context = try Runtime(runtime)
        let store = try await context.existingStore()
        let entries = try await store.inventory().values
        let holder = try await store.lockHolder()
        let open = try await store.unfinishedIntents()
        // Watch replicas of a PostgreSQL state hold site leases, not the state's lease.
        let replicas = try await (store as? any ReplicaStore)?.replicaView()
        if output == .json {
            var document = Self.json(entries: Array(entries), holder: holder, unfinished: open.count, state: context.statePath)
            if case .map(var fields) = document, let replicas {
                fields["replicas"] = .list(replicas.alive.map { replica in
                    .map(Fields([
                        "id": .string(replica.beat.id), "host": .string(replica.beat.host), "pid": .int(Int(replica.beat.pid)),
                        "leader": .bool(replicas.leader?.owner == replica.beat.id),
                        "sites": .int(replicas.leases.count { !$0.lapsed && $0.owner == replica.beat.id && $0.key != ReplicaView.leaderKey }),
                    ]))
                })
                document = .map(fields)
            }
            Terminal.standardOutput(JSONText.pretty(document))
            return
        }
        Terminal.standardOutput("State: \(context.statePath)\n")
        Terminal.standardOutput("Resources managed: \(entries.count)\n")
        for status in InventoryEntry.Status.allCases {
            let count = entries.count { $0.status == status }
            if count > 0 { Terminal.standardOutput("  \(status.rawValue): \(count)\n") }
        }
        let bySite = Dictionary(grouping: entries, by: \.id.site).sorted { $0.key < $1.key }
        if !bySite.isEmpty { Terminal.standardOutput("By site:\n") }
        for (site, siteEntries) in bySite {
            let failed = siteEntries.count { $0.status == .failed }
            Terminal.standardOutput("  \(site): \(siteEntries.count)\(failed > 0 ? " (\(failed) failed)" : "")\n")
        }
        if let holder {
            let note = holder.isDead ? " — that process is gone; the next run takes the lock over"
                : holder.expiresAt < Date() ? " — its lease expired; the next run takes the lock over" : ""
            let host = holder.host == ProcessInfo.processInfo.hostName ? "" : " on \(holder.host)"
            Terminal.standardOutput("Locked by \(holder.command) (pid \(holder.pid)\(host)) since \(ISO8601DateFormatter().string(from: holder.since)), lock id \(holder.owner), epoch \(holder.epoch)\(note)\n")
        } else {
            Terminal.standardOutput("Not locked.\n")
        }
        if let replicas, !replicas.alive.isEmpty {
            let each = replicas.alive.map { replica in
                let sites = replicas.leases.count { !$0.lapsed && $0.owner == replica.beat.id && $0.key != ReplicaView.leaderKey }
                return "\(TerminalText.safe(replica.beat.id)) \(sites) site\(sites == 1 ? "" : "s")\(replicas.leader?.owner == replica.beat.id ? ", leader" : "")"
            }
            Terminal.standardOutput("Watch replicas: \(replicas.alive.count) alive (\(each.joined(separator: "; "))); apply and destroy wait until none is\n")
        }
        if !open.isEmpty {
            Terminal.standardOutput("Unfinished actions from an interrupted run: \(open.count) (the next plan or apply recovers them)\n")
        }
    }

    /// `status -o json`: counts by status and site (sorted), the lock and unfinished actions.
    static func json(entries: [InventoryEntry], holder: LockHolder?, unfinished: Int, state: String) -> Value {
        var byStatus = Fields()
        for status in InventoryEntry.Status.allCases { byStatus[status.rawValue] = .int(entries.count { $0.status == status }) }
        let bySite = Dictionary(grouping: entries, by: \.id.site).sorted { $0.key < $1.key }.map { site, siteEntries in
            (site, Value.map(Fields(["resources": .int(siteEntries.count), "failed": .int(siteEntries.count { $0.status == .failed })])))
        }
        let lock: Value = holder.map { holder in
            .map(Fields([
                "command": .string(holder.command), "pid": .int(Int(holder.pid)), "owner": .string(holder.owner), "epoch": .int(Int(holder.epoch)),
                "since": .string(Timestamp.string(holder.since)), "expiresAt": .string(Timestamp.string(holder.expiresAt)),
                "stale": .bool(holder.isDead || holder.expiresAt < Date()),
            ]))
        } ?? .null
        return .map(Fields([
            "formatVersion": .int(1),
            "state": .string(state),
            "resources": .int(entries.count),
            "byStatus": .map(byStatus),
            "bySite": .map(Fields(bySite)),
            "lock": lock,
            "unfinishedActions": .int(unfinished),
        ]))
    }
}

/// `ballast events`: the journal.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Show the journal of actions, oldest first.")

    @OptionGroup var runtime: RuntimeOptions
    @Option(parsing: .unconditional, help: "Only events since this time: an ISO 8601 date-time, or an age such as 30m, 2h.")
    var since: String?
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        if let since, Self.parseSince(since, now: Date()) == nil {
            throw ValidationError("--since takes an ISO 8601 date-time (2026-11-25T10:00:00Z) or an age (90s, 30m, 2h)")
        }
    }

    static func parseSince(_ text: String, now: Date) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        guard let age = Terminal.duration(text) else { return nil }
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        return now.addingTimeInterval(-seconds)
    }

    func run() async throws {
        let context = try Runtime(runtime)
        let events = try await context.existingStore().events(since: since.flatMap { Self.parseSince($0, now: Date()) })
        switch output {
        case .json:
            Terminal.standardOutput(JSONText.pretty(.map(Fields([
                "formatVersion": .int(1),
                "events": .list(events.map(JournalEventJSON.encode)),
            ]))))
        case .text:
            if events.isEmpty { Terminal.standardOutput("No events.\n") }
            for event in events {
                let status = event.outcome?.status.rawValue ?? "unfinished"
                let attempts = (event.outcome?.attempts ?? 0) > 1 ? " after \(event.outcome!.attempts) attempts" : ""
                let error = event.outcome?.error.map { ": \($0)" } ?? ""
                let revision = event.revision.map { " (commit \($0.prefix(12)))" } ?? ""
                let approval = event.approval.map { " (\(TerminalText.safe($0)))" } ?? ""
                Terminal.standardOutput("#\(event.sequence) \(Timestamp.string(event.startedAt)) \(event.action.rawValue) \(event.id) \(status)\(attempts)\(revision)\(approval)\(error)\n")
            }
        }
    }
}
