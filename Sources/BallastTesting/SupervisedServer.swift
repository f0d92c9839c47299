import BallastProviders
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A test server process run under ``ServerSupervisor`` on 127.0.0.1: started, waited for
/// until `ready` says so, and stopped with the test (or by the supervisor when the test
/// process dies). Its output goes to a log that a failure to start quotes.
final class SupervisedServer: @unchecked Sendable {
    let port: Int
    let process: ChildProcess
    let log: String

    /// Starts `arguments` (the port already in them, as `port` gives it) and waits up to
    /// `timeout` for `ready`; throws ``TestServerUnavailable`` naming `what` otherwise. The
    /// default is a liveness bound for a loaded machine: at the start of a full suite, two
    /// Python servers once took over 30 s to answer, with nothing in their logs.
    init(_ what: String, port: Int, arguments: [String], timeout: Duration = .seconds(120), ready: @Sendable () async -> Bool) async throws {
        self.port = port
        log = NSTemporaryDirectory() + "/\(what.replacingOccurrences(of: " ", with: "-"))-\(port).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process = try ChildProcess.logging(["/usr/bin/env", "python3", "-c", ServerSupervisor.script] + arguments, to: log)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await ready() { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw TestServerUnavailable(description: "\(what) did not start on port \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    func stop() {
        process.stop(grace: .seconds(30))
    }

    deinit { stop() }

    /// One request to a test server's control routes on 127.0.0.1:`port`; throws unless it
    /// answers 200.
    static func request(_ port: Int, _ method: String, _ path: String, body: String? = nil, what: String) async throws -> Data {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 5
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw TestServerUnavailable(description: "\(what) answered \(path) with an error") }
        return data
    }

    /// The start of a test server's Python script: imports, the port from argv, a lock, and a
    /// handler base class with JSON replies (`reply`), the request body (`body`) and no logging.
    /// A script defines `Handler(JSONHandler)` and ends with `serve(Handler)`.
    static let pythonPrelude = #"""
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    port = int(sys.argv[1])
    lock = threading.Lock()
    class JSONHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def reply(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        def log_message(self, *arguments):
            pass
    def serve(handler):
        ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()

    """#
}
