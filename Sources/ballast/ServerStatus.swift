import ArgumentParser
import AsyncHTTPClient
import BallastCore
import Foundation
import NIOCore
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
        // async-http-client rather than URLSession: FoundationNetworking would load libcurl and
        // a score of libraries into every ballast process, for this one command.
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .milliseconds(Int64(min(timeout, .seconds(5)) / .milliseconds(1)))
        // A refused connection is an answer: say so at once instead of retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            try await print(using: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func print(using client: HTTPClient) async throws {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let sites = try await fetch(base + "/v1/sites", client: client)["sites"]
        let resources = try await fetch(base + "/v1/resources", client: client)["resources"]
        let manifests = try? await fetch(base + "/v1/manifests", client: client)
        // Only replicas of a PostgreSQL state answer it (404 otherwise).
        let replicas = try await fetch(base + "/v1/replicas", client: client, absentOn404: true)
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
            siteRows.append([name, up ? "up" : "down", "\(site["resources"]?.intValue ?? 0) resources"] + owner + [up ? "" : site["reason"]?.stringValue ?? ""])
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

    private func fetch(_ url: String, client: HTTPClient, absentOn404: Bool = false) async throws -> Fields? {
        try await fetch(url, client: client, allowing404: absentOn404)
    }

    private func fetch(_ url: String, client: HTTPClient) async throws -> Fields {
        try await fetch(url, client: client, allowing404: false)!
    }

    private func fetch(_ url: String, client: HTTPClient, allowing404: Bool) async throws -> Fields? {
        guard let address = URL(string: url), address.scheme == "http" || address.scheme == "https" else {
            Terminal.standardError("ballast: error: --server takes an http:// or https:// URL\n")
            throw ExitCode.failure
        }
        do {
            var request = HTTPClientRequest(url: address.absoluteString)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let body = try await response.body.collect(upTo: 256 << 20)
            let status = Int(response.status.code)
            if allowing404, status == 404 { return nil }
            guard status == 200, case .map(let fields) = try JSONValueParser.parse(Array(body.readableBytesView)) else {
                let hint = status == 401 ? " (set BALLAST_READ_TOKEN to the daemon's read token)" : ""
                Terminal.standardError("ballast: error: \(url) answered \(status)\(hint)\n")
                throw ExitCode.failure
            }
            return fields
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.standardError("ballast: error: cannot read \(url): \(Self.describe(error, timeout: timeout)) (is 'ballast watch --listen' running there?)\n")
            throw ExitCode.failure
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
