import BallastCore
@testable import BallastPlugins

/// What a plugin writes on its standard output, as Ballast reads it: split into lines in
/// chunks of the sizes the first byte picks, each line parsed as JSON-RPC, and each result
/// decoded as the answer to `describe` (a schema) and to `observe` (resources) would be.
enum PluginWireHarness {
    static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunkSize = Int(first % 64) + 1
        var reader = PluginLineReader(maximumLength: 4096)
        var lines: [PluginLineReader.Line] = []
        var rest = bytes.dropFirst()
        while !rest.isEmpty {
            lines += reader.append(rest.prefix(chunkSize))
            rest = rest.dropFirst(chunkSize)
        }
        if let last = reader.finish() { lines.append(last) }
        for line in lines {
            Fuzz.require(line.text.utf8.count <= 4096 * 3, "a line past the maximum: \(line.text.utf8.count) bytes")
            guard !line.truncated, case .response(_, .success(let result))? = try? JSONRPC.parse(line.text, plugin: "fuzz") else { continue }
            _ = try? PluginSchemaDecoder.decode(result, provider: "fuzz")
            if case .list(let items) = result {
                for item in items { _ = try? PluginWire.decodeObserved(item, plugin: "fuzz") }
            } else {
                _ = try? PluginWire.decodeObserved(result, plugin: "fuzz")
            }
        }
    }
}
