import Foundation

/// A test server process run under ``ServerSupervisor`` on 127.0.0.1: started, waited for
/// until `ready` says so, and stopped with the test (or by the supervisor when the test
/// process dies). Its output goes to a log that a failure to start quotes.
final class SupervisedServer: @unchecked Sendable {
    let port: Int
    let process = Process()
    let log: String

    /// Starts `arguments` (the port already in them, as `port` gives it) and waits up to
    /// `timeout` for `ready`; throws ``TestServerUnavailable`` naming `what` otherwise.
    init(_ what: String, port: Int, arguments: [String], timeout: Duration = .seconds(30), ready: @Sendable () async -> Bool) async throws {
        self.port = port
        log = NSTemporaryDirectory() + "/\(what.replacingOccurrences(of: " ", with: "-"))-\(port).log"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", ServerSupervisor.script] + arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
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
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
