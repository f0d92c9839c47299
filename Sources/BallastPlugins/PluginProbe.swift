import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a plugin once, synchronously, for its handshake and schema (needed before any
/// manifest is validated), then stops it.
struct PluginProbe {
    let name: String
    let executable: String
    let timeout: Duration

    func describe() throws(ProviderError) -> (ProviderSchema, capabilities: PluginCapabilities) {
        let child: ChildProcess
        do throws(ProviderError) {
            child = try ChildProcess(executable, input: .pipe, output: .pipe)
        } catch {
            throw ProviderError(.unavailable, "plugin \(name) cannot be started: \(error.message)")
        }
        let descriptor = child.output!
        defer {
            close(child.input!)
            // A plugin that ignores SIGTERM is killed: no probe outlives its command.
            child.stop(grace: .seconds(1))
            close(descriptor)
        }
        let requests = JSONRPC.request(id: 1, method: "handshake", params: .map(Fields(["protocolVersion": .int(JSONRPC.protocolVersion), "client": .string("ballast")])))
            + JSONRPC.request(id: 2, method: "schema", params: .map(Fields()))
        // Two short lines fit in the pipe: this cannot block, even if the plugin never reads.
        child.writeInput(Array(requests.utf8))
        var answers: [Int: Result<Value, ProviderError>] = [:]
        var buffer = [UInt8]()
        let deadline = ContinuousClock.now + timeout
        while answers.count < 2 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw ProviderError(.timeout, "plugin \(name) did not answer handshake and schema within \(timeout)") }
            var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&watched, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw ProviderError(.failed, "plugin \(name) exited before answering its handshake and schema") }
            buffer.append(contentsOf: chunk[..<count])
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                guard !line.isEmpty else { continue }
                if case .response(let id, let result) = try JSONRPC.parse(line, plugin: name) { answers[id] = result }
            }
        }
        let handshake = try answers[1]!.get()
        guard let version = handshake.fieldsValue?["protocolVersion"]?.intValue else {
            throw ProviderError(.failed, "plugin \(name): the handshake answer has no protocolVersion")
        }
        guard version == JSONRPC.protocolVersion else {
            throw ProviderError(.invalid, "plugin \(name) speaks protocol version \(version); Ballast speaks \(JSONRPC.protocolVersion)")
        }
        let capabilities = PluginCapabilities(handshake.fieldsValue?["capabilities"])
        return (try PluginSchemaDecoder.decode(try answers[2]!.get(), provider: "plugin:" + name), capabilities)
    }
}
