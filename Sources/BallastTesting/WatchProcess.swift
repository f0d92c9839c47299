import BallastCore
import BallastProviders
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `ballast watch` daemon started by a test on an ephemeral port, with a small HTTP client
/// for its API.
public final class WatchProcess: @unchecked Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var json: Value? { try? JSONValueParser.parse(body) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let process: ChildProcess
    public let baseURL: String
    public let token: String
    public let stdoutPath: String
    public let stderrPath: String

    /// Starts the daemon and waits until it listens and has finished its start-up apply.
    /// `listen`: the address to listen on (port 0: a free one); `launcher`: a command that runs
    /// ballast (`ip netns exec NAME`), or none.
    public init(
        cli: CLIRunner, arguments: [String], directory: String, token: String = "test-token", timeout: Duration = .seconds(60),
        listen: String = "127.0.0.1:0", launcher: [String] = []
    ) async throws {
        stdoutPath = directory + "/watch.out"
        stderrPath = directory + "/watch.err"
        self.token = token
        process = try cli.start(["watch"] + arguments + ["--listen", listen], stdout: stdoutPath, stderr: stderrPath, environment: ["BALLAST_TOKEN": token], launcher: launcher)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var url: String?
        while clock.now < deadline {
            let output = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if url == nil, let line = output.split(separator: "\n").first(where: { $0.contains("listening on ") }) {
                url = String(line[line.range(of: "listening on ")!.upperBound...])
            }
            if url != nil, output.contains("ballast watch: started") { break }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let url, process.isRunning else {
            let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            process.send(SIGKILL)
            throw Failure(description: "ballast watch did not start:\n\(errors)")
        }
        baseURL = url
    }

    public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    public func get(_ path: String) async throws -> Reply {
        try await send("GET", path, body: nil, headers: [:])
    }

    /// POSTs with the daemon's token unless `authorized` is false or `headers` sets one.
    public func post(_ path: String, body: String? = nil, headers: [String: String] = [:], authorized: Bool = true) async throws -> Reply {
        var headers = headers
        if authorized && headers["Authorization"] == nil { headers["Authorization"] = "Bearer \(token)" }
        return try await send("POST", path, body: body, headers: headers)
    }

    /// Any request, with exactly the headers given.
    public func send(_ method: String, _ path: String, body: String? = nil, headers: [String: String]) async throws -> Reply {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    /// Polls `condition` every 50 ms until it holds; false after `timeout`.
    public static func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// The status of one condition of a resource, as `/v1/resources/{id}` reports it.
    public func condition(_ kind: String, of id: String) async throws -> (status: String, reason: String)? {
        guard case .map(let fields)? = try await get("/v1/resources/\(id)").json, case .list(let conditions)? = fields["conditions"] else { return nil }
        for case .map(let condition) in conditions where condition["type"]?.stringValue == kind {
            return (condition["status"]?.stringValue ?? "", condition["reason"]?.stringValue ?? "")
        }
        return nil
    }

    /// Sends SIGTERM and waits for the exit status.
    public func terminate(timeout: Duration = .seconds(30)) async -> Int32 {
        process.send(SIGTERM)
        guard await process.exit(within: timeout) else { return -1 }
        return process.exitCode ?? -1
    }

    deinit {
        process.send(SIGKILL)
    }
}
