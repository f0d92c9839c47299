import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A hub that misbehaves on purpose, on 127.0.0.1: it answers every agent fetch with the JSON
/// a test sets (at once, whatever the wait), and keeps every report.
public final class FakeHubServer: @unchecked Sendable {
    public let port: Int
    private let server: SupervisedServer

    public var url: String { "http://127.0.0.1:\(port)" }

    public init() async throws {
        let port = try FreePort.find()
        self.port = port
        server = try await SupervisedServer("the fake hub", port: port, arguments: ["python3", "-c", Self.script, String(port)]) {
            (try? await Self.request(port, "GET", "/reports")) != nil
        }
    }

    /// From now on every fetch is answered with `body` (status 200).
    public func answer(_ body: String) async throws {
        _ = try await Self.request(port, "PUT", "/answer", body: body)
    }

    /// Every report taken so far, oldest first, as text.
    public func reports() async throws -> [String] {
        let data = try await Self.request(port, "GET", "/reports")
        guard let list = try JSONSerialization.jsonObject(with: data) as? [Any] else { return [] }
        return list.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func stop() { server.stop() }

    private static func request(_ port: Int, _ method: String, _ path: String, body: String? = nil) async throws -> Data {
        try await SupervisedServer.request(port, method, path, body: body, what: "the fake hub")
    }

    static let script = SupervisedServer.pythonPrelude + #"""
    state = {"answer": b'{"error": "no answer set"}', "reports": []}
    class Handler(JSONHandler):
        def do_GET(self):
            with lock:
                if self.path == "/reports": return self.reply(200, json.dumps(state["reports"]).encode())
                if "/desired" in self.path: return self.reply(200, state["answer"])
            self.reply(404)
        def do_PUT(self):
            body = self.body()
            if self.path == "/answer":
                with lock: state["answer"] = body
                return self.reply(200)
            self.reply(404)
        def do_POST(self):
            body = self.body()
            with lock:
                try:
                    state["reports"].append(json.loads(body))
                except ValueError:
                    return self.reply(400)
            self.reply(200, b'{"accepted": true}')
    serve(Handler)
    """#
}
