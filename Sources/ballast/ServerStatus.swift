import ArgumentParser
import BallastCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `ballast status --server URL`: sites and resource conditions from a running daemon.
struct ServerStatus {
    let baseURL: String

    func print() async throws {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let sites = try await fetch(base + "/v1/sites")["sites"]
        let resources = try await fetch(base + "/v1/resources")["resources"]
        let manifests = try? await fetch(base + "/v1/manifests")
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

    private func fetch(_ url: String) async throws -> Fields {
        guard let address = URL(string: url), address.scheme == "http" || address.scheme == "https" else {
            Terminal.standardError("ballast: error: --server takes an http:// or https:// URL\n")
            throw ExitCode.failure
        }
        var request = URLRequest(url: address)
        request.timeoutInterval = 10
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200, case .map(let fields) = try JSONValueParser.parse([UInt8](data)) else {
                Terminal.standardError("ballast: error: \(url) answered \(status)\n")
                throw ExitCode.failure
            }
            return fields
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.standardError("ballast: error: cannot read \(url): \(error.localizedDescription)\n")
            throw ExitCode.failure
        }
    }
}
