import BallastCore
import BallastProviders

/// JSON-RPC 2.0 messages as Ballast's plugin protocol uses them: one JSON object per line.
enum JSONRPC {
    static let protocolVersion = 1

    static func request(id: Int, method: String, params: Value) -> String {
        JSONText.string(.map(Fields(["jsonrpc": .string("2.0"), "id": .int(id), "method": .string(method), "params": params]))) + "\n"
    }

    /// One line from a plugin.
    enum Message {
        case response(id: Int, Result<Value, ProviderError>)
        case notification(method: String, params: Value)
    }

    static func parse(_ line: String, plugin: String) throws(ProviderError) -> Message {
        guard case .map(let fields)? = try? JSONValueParser.parse(line) else {
            throw ProviderError(.failed, "plugin \(plugin) sent a line that is not a JSON object: \(line.prefix(200))")
        }
        guard fields["jsonrpc"]?.stringValue == "2.0" else {
            throw ProviderError(.failed, "plugin \(plugin) sent a message without \"jsonrpc\": \"2.0\": \(line.prefix(200))")
        }
        if let method = fields["method"]?.stringValue, fields["id"] == nil || fields["id"] == .null {
            return .notification(method: method, params: fields["params"] ?? .null)
        }
        guard let id = fields["id"]?.intValue else {
            throw ProviderError(.failed, "plugin \(plugin) sent a response without a numeric id: \(line.prefix(200))")
        }
        if let result = fields["result"] { return .response(id: id, .success(result)) }
        guard case .map(let error)? = fields["error"] else {
            return .response(id: id, .failure(ProviderError(.failed, "plugin \(plugin) answered call \(id) with neither result nor error")))
        }
        return .response(id: id, .failure(providerError(error, plugin: plugin)))
    }

    /// A JSON-RPC error object as a ProviderError: `data.code` (throttled, timeout, unavailable,
    /// conflict, invalid, forbidden, notFound, failed) says whether a retry can help; standard
    /// JSON-RPC codes map to clear terminal errors.
    static func providerError(_ error: Fields, plugin: String) -> ProviderError {
        let message = error["message"]?.stringValue ?? "no message"
        if let text = error["data"]?.fieldsValue?["code"]?.stringValue, let code = ProviderError.Code(rawValue: text) {
            return ProviderError(code, "plugin \(plugin): \(message)")
        }
        switch error["code"]?.intValue {
        case -32601: return ProviderError(.invalid, "plugin \(plugin) does not implement this method: \(message)")
        case -32602: return ProviderError(.invalid, "plugin \(plugin) rejected the parameters: \(message)")
        case -32700, -32600: return ProviderError(.failed, "plugin \(plugin) could not read Ballast's request: \(message)")
        default: return ProviderError(.failed, "plugin \(plugin): \(message)")
        }
    }
}
