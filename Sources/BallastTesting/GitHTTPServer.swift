import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// git's smart HTTP transport for tests: `git http-backend` behind a small Python HTTP server on
/// 127.0.0.1, serving the bare repositories under `root`. With `credentials` ("user:password")
/// it answers 401 to any request without them, as a git host does.
public final class GitHTTPServer: @unchecked Sendable {
    public let port: Int
    private let server: SupervisedServer

    /// The URL of the repository `name` (a directory under `root`), with `userInfo` in it if given.
    public func url(_ name: String, userInfo: String? = nil) -> String {
        "http://\(userInfo.map { $0 + "@" } ?? "")127.0.0.1:\(port)/\(name)"
    }

    public init(root: String, credentials: String? = nil) async throws {
        let port = try FreePort.find()
        self.port = port
        // Ready once it accepts a connection (an HTTP request would meet the 401 challenge,
        // which URLSession on Linux may wait on).
        server = try await SupervisedServer("the git HTTP server", port: port, arguments: ["python3", "-c", Self.script, root, String(port), credentials ?? ""]) {
            Self.accepts(port: port)
        }
    }

    public func stop() { server.stop() }

    static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static let script = #"""
    import base64, os, subprocess, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    root, port, credentials = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    expected = "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self): self.serve()
        def do_POST(self): self.serve()
        def serve(self):
            if expected and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            environment = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                               REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""), CONTENT_LENGTH=str(length),
                               HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""), GIT_PROTOCOL=self.headers.get("Git-Protocol", ""),
                               REMOTE_USER="test", REMOTE_ADDR="127.0.0.1")
            output = subprocess.run(["git", "http-backend"], input=body, env=environment, capture_output=True).stdout
            head, _, payload = output.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.split(b"\r\n"):
                name, _, value = line.decode().partition(":")
                if not name:
                    continue
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                else:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        def log_message(self, *arguments):
            pass
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
