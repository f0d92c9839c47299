import BallastCore
import BallastProviders

/// Reads the `schema` answer of a plugin (see docs/provider-protocol.md) into a
/// ``ProviderSchema``, through ``ProviderSchemaJSON``; anything malformed is an `invalid`
/// provider error naming the plugin and the place.
enum PluginSchemaDecoder {
    static func decode(_ value: Value, provider: String) throws(ProviderError) -> ProviderSchema {
        do {
            return try ProviderSchemaJSON.decode(value, provider: provider, origin: "plugin \(provider)")
        } catch {
            throw ProviderError(.invalid, error.description)
        }
    }
}
