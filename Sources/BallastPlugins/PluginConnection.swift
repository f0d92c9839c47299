import BallastCore
import BallastProviders
import Foundation
import Logging

/// One running plugin process and the calls in flight to it.
///
/// Requests go to the plugin's stdin, one JSON-RPC object per line; a reader thread takes
/// responses and `changed` notifications from its stdout, and logs its stderr tagged with its
/// name. Every call has a timeout. When the process dies, the calls in flight fail as retryable
/// errors and the next call starts it again, after a backoff that grows with each crash.
actor PluginConnection {
    let name: String
    let executable: String
    let logger: Logger
    let callTimeout: Duration

    private var process: ChildProcess?
    private var stdin: FileHandle?
    private var pending: [Int: CheckedContinuation<Result<Value, ProviderError>, Never>] = [:]
    private var nextID = 1
    private var crashes = 0
    private var notBefore = ContinuousClock.now
    private var configured = Set<String>()
    private var generation = 0
    private var subscribers: [UUID: AsyncStream<ResourceID>.Continuation] = [:]

    init(name: String, executable: String, callTimeout: Duration, logger: Logger) {
        self.name = name
        self.executable = executable
        self.callTimeout = callTimeout
        self.logger = logger
    }

    /// The ids the plugin reports changed (`changed` notifications), for one subscriber.
    func subscribe() -> AsyncStream<ResourceID> {
        let (stream, continuation) = AsyncStream<ResourceID>.makeStream()
        let key = UUID()
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribe(key) } }
        return stream
    }

    private func unsubscribe(_ key: UUID) { subscribers[key] = nil }

    /// Calls `method` on the plugin for `site`, configuring the site first on a fresh process.
    func call(_ method: String, site: Site, _ params: Fields) async throws(ProviderError) -> Value {
        try await ensureRunning()
        if !configured.contains(site.name) {
            _ = try await send("configure", .map(Fields(["site": PluginWire.site(site)])))
            configured.insert(site.name)
        }
        var withSite = params
        withSite["site"] = .string(site.name)
        return try await send(method, .map(withSite))
    }

    private func ensureRunning() async throws(ProviderError) {
        if process?.isRunning == true { return }
        let wait = notBefore - ContinuousClock.now
        if wait > .zero { try? await Task.sleep(for: wait) }
        try start()
        let answer = try await send("handshake", .map(Fields(["protocolVersion": .int(JSONRPC.protocolVersion), "client": .string("ballast")])))
        guard let version = answer.fieldsValue?["protocolVersion"]?.intValue else {
            stop()
            throw ProviderError(.failed, "plugin \(name): the handshake answer has no protocolVersion")
        }
        guard version == JSONRPC.protocolVersion else {
            stop()
            throw ProviderError(.invalid, "plugin \(name) speaks protocol version \(version); Ballast speaks \(JSONRPC.protocolVersion)")
        }
    }

    private func start() throws(ProviderError) {
        generation += 1
        let current = generation
        let child: ChildProcess
        do throws(ProviderError) {
            child = try ChildProcess(executable, input: .pipe, output: .pipe, errors: .pipe) { [weak self] status in
                Task { await self?.exited(generation: current, status: ChildProcess.exitCode(status)) }
            }
        } catch {
            throw ProviderError(.unavailable, "plugin \(name) cannot be started from \(executable): \(error.message)")
        }
        process = child
        stdin = FileHandle(fileDescriptor: child.input!, closeOnDealloc: true)
        configured.removeAll()
        let name = self.name
        let logger = self.logger
        Self.readLines(FileHandle(fileDescriptor: child.output!, closeOnDealloc: true)) { [weak self] line in
            Task { await self?.received(line, generation: current) }
        }
        Self.readLines(FileHandle(fileDescriptor: child.errors!, closeOnDealloc: true)) { line in
            logger.info("\(line.text)\(line.truncated ? " […cut]" : "")", metadata: ["plugin": "\(name)"])
        }
    }

    private func send(_ method: String, _ params: Value) async throws(ProviderError) -> Value {
        let id = nextID
        nextID += 1
        guard let stdin else { throw ProviderError(.unavailable, "plugin \(name) is not running") }
        let line = JSONRPC.request(id: id, method: method, params: params)
        let timeout = callTimeout
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, ProviderError>, Never>) in
            pending[id] = continuation
            do {
                try stdin.write(contentsOf: Data(line.utf8))
            } catch {
                pending[id] = nil
                continuation.resume(returning: .failure(ProviderError(.unavailable, "plugin \(name) does not accept input: \(error)")))
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(id, method: method)
            }
        }
        return try result.get()
    }

    /// A call that timed out means the plugin is stuck: every call waiting on it fails, and the
    /// process is stopped so that the next call starts a fresh one.
    private func expire(_ id: Int, method: String) {
        guard pending[id] != nil else { return }
        logger.warning("plugin did not answer in time; restarting it", metadata: ["plugin": "\(name)", "method": "\(method)"])
        failPending(ProviderError(.timeout, "plugin \(name) did not answer \(method) within \(callTimeout)"))
        stop()
    }

    private func received(_ line: PluginLineReader.Line, generation current: Int) {
        guard current == generation, !line.text.isEmpty else { return }
        do throws(ProviderError) {
            if line.truncated {
                throw ProviderError(.failed, "plugin \(name) sent a line longer than \(PluginLineReader.defaultMaximumLength >> 20) MiB")
            }
            switch try JSONRPC.parse(line.text, plugin: name) {
            case .response(let id, let result):
                guard let continuation = pending.removeValue(forKey: id) else {
                    logger.warning("plugin answered a call that is not waiting (late or unknown id)", metadata: ["plugin": "\(name)", "id": "\(id)"])
                    return
                }
                continuation.resume(returning: result)
            case .notification(let method, let params):
                guard method == "changed" else {
                    logger.warning("plugin sent an unknown notification", metadata: ["plugin": "\(name)", "method": "\(method)"])
                    return
                }
                if case .list(let ids)? = params.fieldsValue?["ids"] {
                    for text in ids.compactMap(\.stringValue) {
                        guard let id = ResourceID(parsing: text) else { continue }
                        for subscriber in subscribers.values { subscriber.yield(id) }
                    }
                }
            }
        } catch {
            // The stream can no longer be trusted: fail what waits, and start afresh next time.
            logger.error("\(error.message)", metadata: ["plugin": "\(name)"])
            failPending(error)
            stop()
        }
    }

    private func exited(generation ended: Int, status: Int32) {
        guard ended == generation else { return }
        crashes += 1
        let backoff = RetryPolicy.pluginRestart.delay(afterAttempt: crashes)
        notBefore = ContinuousClock.now + backoff
        logger.warning("plugin exited; it will be restarted", metadata: ["plugin": "\(name)", "status": "\(status)", "backoff": "\(backoff)"])
        process = nil
        stdin = nil
        failPending(ProviderError(.unavailable, "plugin \(name) exited (status \(status)) during the call; it is restarted on the next call"))
    }

    private func failPending(_ error: ProviderError) {
        let waiting = pending
        pending.removeAll()
        for (_, continuation) in waiting { continuation.resume(returning: .failure(error)) }
    }

    /// Asks the process to stop, and kills it if it has not after two seconds.
    func stop() {
        generation += 1
        if let process, process.isRunning {
            process.send(SIGTERM)
            Thread { if process.wait(timeout: .seconds(2)) == nil { process.send(SIGKILL) } }.start()
        }
        try? stdin?.close()
        process = nil
        stdin = nil
    }

    /// Reads `handle` line by line on its own thread until end of file, in bounded memory
    /// (``PluginLineReader``).
    static func readLines(_ handle: FileHandle, _ body: @escaping @Sendable (PluginLineReader.Line) -> Void) {
        let thread = Thread {
            var reader = PluginLineReader()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                for line in reader.append(chunk) { body(line) }
            }
            if let last = reader.finish() { body(last) }
        }
        thread.start()
    }
}
