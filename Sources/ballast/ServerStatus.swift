import ArgumentParser
import AsyncHTTPClient
import BallastCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ballast status --server URL`: sites and resource conditions from a running daemon.
struct ServerStatus {
    let baseURL: String
    /// The whole exchange's deadline; connecting gets at most 5 s of it, and is not retried.
    var timeout: Duration = .seconds(10)
    var format: OutputFormat = .text
    /// Sent as a bearer token: a daemon on a non-loopback address needs one for reads
    /// ($BALLAST_READ_TOKEN, else $BALLAST_TOKEN).
    var token: String? = {
        let environment = ProcessInfo.processInfo.environment
        return [environment["BALLAST_READ_TOKEN"], environment["BALLAST_TOKEN"]].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
    }()

    func print() async throws {
        try await DaemonClient(baseURL: baseURL, timeout: timeout, token: token).session { try await print(using: $0) }
    }

    private func print(using client: DaemonClient.Session) async throws {
        let base = client.base
        let sites = try await client.get("/v1/sites")["sites"]
        let resources = try await client.get("/v1/resources")["resources"]
        let manifests = try? await client.get("/v1/manifests")
        // Only replicas of a PostgreSQL state answer it (404 otherwise).
        let replicas = try await client.get("/v1/replicas", absentOn404: true)
        if format == .json {
            Terminal.standardOutput(JSONText.pretty(.map(Fields([
                "formatVersion": .int(1),
                "server": .string(base),
                "sites": sites ?? .list([]),
                "resources": resources ?? .list([]),
                "manifests": manifests.map(Value.map) ?? .null,
                "replicas": replicas.map(Value.map) ?? .null,
            ]))))
            return
        }
        var out = "Server: \(base)\n"
        if let manifests { out += Self.describeSource(manifests) }
        if let replicas { out += Self.describeReplicas(replicas, table: table) }
        if manifests?["valid"] == .bool(false) {
            out += "Manifests: the last edit does not validate; the last good manifests stay in force:\n"
            if case .list(let lines)? = manifests?["diagnostics"] { for line in lines { out += "  \(TerminalText.safe(line.stringValue ?? ""))\n" } }
        }
        out += "Sites:\n"
        var owners: [String: String] = [:]
        for case .map(let site) in list(replicas?["sites"]) {
            if let name = site["name"]?.stringValue { owners[name] = site["owner"]?.stringValue ?? "no owner" }
        }
        var siteRows: [[String]] = []
        for case .map(let site) in list(sites) {
            let up = site["up"]?.boolValue == true
            let name = site["name"]?.stringValue ?? ""
            let owner = replicas == nil ? [] : ["owner \(owners[name] ?? "no owner")"]
            var note = up ? "" : site["reason"]?.stringValue ?? ""
            if case .map(let agent)? = site["agent"] {
                // A pull site: what its agent last said, and how long ago.
                let age = agent["ageSeconds"].flatMap { value -> String? in
                    if case .number(let seconds) = value { return String(format: "%.0f s ago", seconds) }
                    return value.intValue.map { "\($0) s ago" }
                } ?? "never"
                let generations = "generation \(agent["appliedGeneration"]?.intValue.map(String.init) ?? "none") of \(agent["desiredGeneration"]?.intValue.map(String.init) ?? "none")"
                note = "pull: agent reported \(age), \(generations)" + (agent["stale"]?.boolValue == true ? ", STALE" : "")
                    + (agent["error"]?.stringValue.map { "; agent error: \($0)" } ?? "")
            }
            siteRows.append([name, up ? "up" : "down", "\(site["resources"]?.intValue ?? 0) resources"] + owner + [note])
        }
        out += table(siteRows, indent: "  ")
        let kinds = ["Ready", "Synced", "Drifted", "Failed"]
        var rows = [["ID"] + kinds.map { $0.uppercased() } + ["REASON"]]
        for case .map(let resource) in list(resources) {
            var conditions: [String: Fields] = [:]
            for case .map(let condition) in list(resource["conditions"]) { conditions[condition["type"]?.stringValue ?? ""] = condition }
            // The most telling reason: a failure, then drift, then sync.
            let telling = ["Failed", "Drifted", "Synced"].first { conditions[$0]?["status"]?.stringValue == ($0 == "Synced" ? "False" : "True") }
            let reason = telling.flatMap { kind in conditions[kind].map { "\($0["reason"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" } } ?? ""
            rows.append([resource["id"]?.stringValue ?? ""] + kinds.map { conditions[$0]?["status"]?.stringValue ?? "?" } + [reason])
        }
        out += "Resources: \(rows.count - 1)\n" + table(rows, indent: "  ")
        Terminal.standardOutput(out)
    }

    private func list(_ value: Value?) -> [Value] {
        if case .list(let items)? = value { return items }
        return []
    }

    private func table(_ rows: [[String]], indent: String) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            var line = indent + row.enumerated().map { index, cell in
                index == row.count - 1 ? TerminalText.safe(cell) : TerminalText.safe(cell).padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    /// Where the manifests come from (with git: the commit in force, one held, fetch errors) and
    /// whether syncing is suspended.
    static func describeSource(_ manifests: Fields) -> String {
        var out = ""
        func commit(_ value: Value?) -> String? {
            guard case .map(let revision)? = value, let id = revision["commit"]?.stringValue else { return nil }
            let subject = revision["subject"]?.stringValue.map { " \"\($0)\"" } ?? ""
            return String(id.prefix(12)) + subject
        }
        if case .map(let source)? = manifests["source"], source["kind"]?.stringValue == "git" {
            out += "Source: \(source["location"]?.stringValue ?? "") \(source["ref"]?.stringValue ?? "")"
            if let inForce = commit(manifests["revision"]) { out += ", commit \(inForce) in force" }
            out += "\n"
            if let held = commit(manifests["heldRevision"]) { out += "  held: commit \(held) does not validate\n" }
            if let error = source["error"]?.stringValue { out += "  last fetch failed: \(error)\n" }
            if let notice = source["notice"]?.stringValue { out += "  \(notice)\n" }
        }
        if manifests["suspended"]?.boolValue == true {
            let since = manifests["suspendedAt"]?.stringValue.map { " since \($0)" } ?? ""
            let by = manifests["suspendedBy"]?.stringValue.map { " by \($0)" } ?? ""
            out += "Syncing: suspended\(since)\(by) (manifest changes wait for 'ballast resume'; healing goes on)\n"
        }
        return TerminalText.safe(out).replacingOccurrences(of: "\\n", with: "\n")
    }

    /// The replicas, which sites each owns, lease ages and the leader; replicas whose manifests
    /// differ from the answering one's, and sites nobody owns, are called out.
    static func describeReplicas(_ document: Fields, table: ([[String]], String) -> String) -> String {
        var out = ""
        let me = document["replica"]?.stringValue ?? ""
        var rows = [["REPLICA", "STATE", "SITES", "HEARTBEAT", "LISTEN", "NOTE"]]
        var differing = 0
        if case .list(let replicas)? = document["replicas"] {
            for case .map(let replica) in replicas {
                let alive = replica["alive"]?.boolValue == true
                let leader = replica["leader"]?.boolValue == true
                var notes: [String] = []
                if leader { notes.append("leader") }
                if replica["id"]?.stringValue == me { notes.append("answered this request") }
                if alive, replica["sameManifests"]?.boolValue == false {
                    notes.append("other manifests in force")
                    differing += 1
                }
                var sites = 0
                if case .list(let owned)? = replica["sites"] { sites = owned.count }
                let age = replica["heartbeatAgeSeconds"].flatMap { value -> Double? in
                    if case .number(let number) = value { return number }
                    return value.intValue.map(Double.init)
                } ?? 0
                rows.append([
                    replica["id"]?.stringValue ?? "", alive ? "alive" : "lapsed", "\(sites)", String(format: "%.1fs ago", age),
                    replica["listen"]?.stringValue ?? "", notes.joined(separator: ", "),
                ])
            }
        }
        out += "Replicas: \(rows.count - 1), leader \(document["leader"]?.stringValue ?? "none")\n" + table(rows, "  ")
        if case .list(let unowned)? = document["unownedSites"], !unowned.isEmpty {
            out += "Sites without an owner: \(unowned.compactMap(\.stringValue).joined(separator: ", "))\n"
        }
        if differing > 0 { out += "Warning: \(differing) replica(s) have other manifests in force than \(me)\n" }
        if let error = document["heartbeatError"]?.stringValue { out += "Warning: \(me) cannot reach the state: \(error)\n" }
        return out
    }

}

/// A running daemon's API, for the commands that talk to one (`status --server`, `suspend`,
/// `resume`): one client per command, a deadline on every exchange, errors in words.
struct DaemonClient {
    let baseURL: String
    /// The whole exchange's deadline; connecting gets at most 5 s of it, and is not retried.
    var timeout: Duration
    var token: String?

    /// Runs `body` with a client, shut down afterwards whatever happens.
    func session<T>(_ body: (Session) async throws -> T) async throws -> T {
        // async-http-client rather than URLSession: FoundationNetworking would load libcurl and
        // a score of libraries into every ballast process, for these few commands.
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .milliseconds(Int64(min(timeout, .seconds(5)) / .milliseconds(1)))
        // A refused connection is an answer: say so at once instead of retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let session = Session(client: client, base: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL, timeout: timeout, token: token)
        do {
            let result = try await body(session)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    struct Session {
        let client: HTTPClient
        let base: String
        let timeout: Duration
        let token: String?

        func get(_ path: String) async throws -> Fields {
            try await exchange(.GET, path, absentOn404: false)!
        }

        func get(_ path: String, absentOn404: Bool) async throws -> Fields? {
            try await exchange(.GET, path, absentOn404: absentOn404)
        }

        func post(_ path: String) async throws -> Fields {
            try await exchange(.POST, path, absentOn404: false)!
        }

        /// The JSON object answered with 200 or 202; nil for a 404 when `absentOn404`. Anything
        /// else is printed, with the API's error message, and ends the command with status 1.
        private func exchange(_ method: HTTPMethod, _ path: String, absentOn404: Bool) async throws -> Fields? {
            let url = base + path
            guard let address = URL(string: url), address.scheme == "http" || address.scheme == "https" else {
                Terminal.standardError("ballast: error: --server takes an http:// or https:// URL\n")
                throw ExitCode.failure
            }
            do {
                var request = HTTPClientRequest(url: address.absoluteString)
                request.method = method
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
                let body = try await response.body.collect(upTo: 256 << 20)
                let status = Int(response.status.code)
                if absentOn404, status == 404 { return nil }
                let parsed = try? JSONValueParser.parse(Array(body.readableBytesView))
                guard status == 200 || status == 202, case .map(let fields)? = parsed else {
                    var hint = ""
                    if status == 401 { hint = method == .GET ? " (set BALLAST_READ_TOKEN to the daemon's read token)" : " (set BALLAST_TOKEN or pass --token-file with the daemon's admin token)" }
                    if case .map(let fields)? = parsed, let message = fields["error"]?.stringValue { hint += ": \(TerminalText.safe(message))" }
                    Terminal.standardError("ballast: error: \(url) answered \(status)\(hint)\n")
                    throw ExitCode.failure
                }
                return fields
            } catch let error as ExitCode {
                throw error
            } catch {
                Terminal.standardError("ballast: error: cannot read \(url): \(DaemonClient.describe(error, timeout: timeout)) (is 'ballast watch --listen' running there?)\n")
                throw ExitCode.failure
            }
        }
    }

    /// A network failure in words, instead of a NIO type dump.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout { return "connecting timed out" }
            if [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) { return "no answer within \(timeout)" }
            if error == .remoteConnectionClosed { return "the server closed the connection" }
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error, timeout: timeout) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return "the host name does not resolve" }
        }
        if let error = error as? IOError {
            return error.errnoCode == ECONNREFUSED ? "connection refused" : String(cString: strerror(error.errnoCode))
        }
        if "\(error)".contains("connectTimeout") { return "connecting timed out" }
        return "\(error)"
    }
}
