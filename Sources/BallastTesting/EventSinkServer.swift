import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP event sink for tests, on 127.0.0.1: it records every CloudEvent POSTed to it in
/// structured mode, or answers every POST with a status the test sets, as a sink that is down
/// or rejects events does.
public final class EventSinkServer: @unchecked Sendable {
    /// One event as the sink received it.
    public struct Received: Sendable, Hashable {
        public var id: String
        public var type: String
        public var subject: String
        public var source: String
        public var data: String
    }

    public let port: Int
    private let server: SupervisedServer

    /// Where to post events; `path` goes after the host.
    public func url(_ path: String = "/events", userInfo: String? = nil) -> String {
        "http://\(userInfo.map { $0 + "@" } ?? "")127.0.0.1:\(port)\(path)"
    }

    public init() async throws {
        let port = try FreePort.find()
        self.port = port
        server = try await SupervisedServer("the event sink", port: port, arguments: ["python3", "-c", Self.script, String(port)]) {
            (try? await Self.request(port, "GET", "/received")) != nil
        }
    }

    /// From now on every POST is answered with `status` (200 records the event again).
    public func answer(_ status: Int) async throws {
        _ = try await Self.request(port, "PUT", "/status/\(status)")
    }

    /// Every event taken so far, in the order taken (redeliveries included).
    public func received() async throws -> [Received] {
        let data = try await Self.request(port, "GET", "/received")
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.map { event in
            let data = (event["data"]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return Received(
                id: event["id"] as? String ?? "", type: event["type"] as? String ?? "", subject: event["subject"] as? String ?? "",
                source: event["source"] as? String ?? "", data: data)
        }
    }

    /// How many POSTs were refused with the status set by ``answer(_:)``.
    public func refusals() async throws -> Int {
        Int(String(decoding: try await Self.request(port, "GET", "/refusals"), as: UTF8.self)) ?? 0
    }

    /// The Content-Type and Authorization headers of the last POST.
    public func lastHeaders() async throws -> [String: String] {
        (try JSONSerialization.jsonObject(with: try await Self.request(port, "GET", "/headers")) as? [String: String]) ?? [:]
    }

    public func stop() { server.stop() }

    private static func request(_ port: Int, _ method: String, _ path: String, body: String? = nil) async throws -> Data {
        try await SupervisedServer.request(port, method, path, body: body, what: "the event sink")
    }

    static let script = SupervisedServer.pythonPrelude + #"""
    state = {"status": 200, "received": [], "refusals": 0, "headers": {}}
    class Handler(JSONHandler):
        def do_GET(self):
            with lock:
                if self.path == "/received": return self.reply(200, json.dumps(state["received"]).encode())
                if self.path == "/refusals": return self.reply(200, str(state["refusals"]).encode())
                if self.path == "/headers": return self.reply(200, json.dumps(state["headers"]).encode())
            self.reply(404)
        def do_PUT(self):
            if self.path.startswith("/status/"):
                with lock: state["status"] = int(self.path.split("/")[-1])
                return self.reply(200)
            self.reply(404)
        def do_POST(self):
            body = self.body()
            with lock:
                state["headers"] = {"Content-Type": self.headers.get("Content-Type", ""), "Authorization": self.headers.get("Authorization", "")}
                if state["status"] != 200:
                    state["refusals"] += 1
                    return self.reply(state["status"], b'{"error": "down"}')
                try:
                    state["received"].append(json.loads(body))
                except ValueError:
                    return self.reply(400)
            self.reply(202)
    serve(Handler)
    """#
}
