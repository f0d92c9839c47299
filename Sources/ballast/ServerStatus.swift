import ArgumentParser
import AsyncHTTPClient
import BallastCore
import Foundation

/// `ballast status --server URL`: sites and resource conditions from a running daemon.
struct ServerStatus {
    let baseURL: String
    /// Sent as a bearer token: a daemon on a non-loopback address needs one for reads
    /// ($BALLAST_READ_TOKEN, else $BALLAST_TOKEN).
    var token: String? = {
        let environment = ProcessInfo.processInfo.environment
        return [environment["BALLAST_READ_TOKEN"], environment["BALLAST_TOKEN"]].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
    }()

    func print() async throws {
        // async-http-client rather than URLSession: FoundationNetworking would load libcurl and
        // a score of libraries into every ballast process, for this one command.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
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
        var out = "Server: \(base)\n"
        if manifests?["valid"] == .bool(false) {
            out += "Manifests: the last edit does not validate; the last good manifests stay in force:\n"
            if case .list(let lines)? = manifests?["diagnostics"] { for line in lines { out += "  \(TerminalText.safe(line.stringValue ?? ""))\n" } }
        }
        out += "Sites:\n"
        var siteRows: [[String]] = []
        for case .map(let site) in list(sites) {
            let up = site["up"]?.boolValue == true
            siteRows.append([site["name"]?.stringValue ?? "", up ? "up" : "down", "\(site["resources"]?.intValue ?? 0) resources", up ? "" : site["reason"]?.stringValue ?? ""])
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

    private func fetch(_ url: String, client: HTTPClient) async throws -> Fields {
        guard let address = URL(string: url), address.scheme == "http" || address.scheme == "https" else {
            Terminal.standardError("ballast: error: --server takes an http:// or https:// URL\n")
            throw ExitCode.failure
        }
        do {
            var request = HTTPClientRequest(url: address.absoluteString)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 256 << 20)
            let status = Int(response.status.code)
            guard status == 200, case .map(let fields) = try JSONValueParser.parse(Array(body.readableBytesView)) else {
                let hint = status == 401 ? " (set BALLAST_READ_TOKEN to the daemon's read token)" : ""
                Terminal.standardError("ballast: error: \(url) answered \(status)\(hint)\n")
                throw ExitCode.failure
            }
            return fields
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.standardError("ballast: error: cannot read \(url): \(error)\n")
            throw ExitCode.failure
        }
    }
}
