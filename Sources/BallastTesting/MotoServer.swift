import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real local AWS emulator for tests: `moto_server -H 127.0.0.1 -p PORT` on a free port,
/// started by the test setup (installed with pip when missing) and stopped with the process.
public final class MotoServer: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let server: SupervisedServer

    /// Starts moto and waits until it answers.
    public init() async throws {
        let executable = try Self.locate()
        let port = try FreePort.find()
        self.port = port
        server = try await SupervisedServer("moto_server", port: port, arguments: [executable, "-H", "127.0.0.1", "-p", String(port)]) {
            (try? await Self.request("http://127.0.0.1:\(port)", "GET", "/moto-api/")) != nil
        }
    }

    /// Forgets every resource (`POST /moto-api/reset`).
    public func reset() async throws {
        _ = try await Self.request(endpoint, "POST", "/moto-api/reset")
    }

    public func stop() { server.stop() }

    private static func request(_ endpoint: String, _ method: String, _ path: String) async throws -> Int {
        var request = URLRequest(url: URL(string: endpoint + path)!)
        request.httpMethod = method
        request.timeoutInterval = 5
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// `moto_server` on PATH or in Python's scripts directory; `pip install 'moto[server]'`
    /// when it is missing.
    static func locate() throws -> String {
        if let found = which("moto_server") { return found }
        _ = try Subprocess.run(["/usr/bin/env", "python3", "-m", "pip", "install", "--quiet", "moto[server]", "boto3"])
        if let found = which("moto_server") { return found }
        throw TestServerUnavailable(description: "moto_server is not installed and 'pip install moto[server]' did not provide it")
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var directories = path.split(separator: ":").map(String.init)
        directories.append(NSHomeDirectory() + "/.local/bin")
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A test fixture (an emulator, a server, a helper command) that could not be set up.
public struct TestServerUnavailable: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
