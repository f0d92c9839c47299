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
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 5
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw TestServerUnavailable(description: "the fake hub answered \(path) with an error") }
        return data
    }

    static let script = #"""
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    port = int(sys.argv[1])
    lock = threading.Lock()
    state = {"answer": b'{"error": "no answer set"}', "reports": []}
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def reply(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
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
        def log_message(self, *arguments):
            pass
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
