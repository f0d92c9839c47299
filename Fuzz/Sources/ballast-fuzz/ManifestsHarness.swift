import BallastCore
import BallastHost
import BallastProviders
import BallastSim

/// The manifest loader and validator, with the sim and host providers' schemas: any bytes give
/// diagnostics or a desired state, never a trap, a hang or runaway memory. Every error has a
/// message; a loaded estate has no errors.
enum ManifestsHarness {
    static let loader = ManifestLoader(catalog: ProviderRegistry([
        SimProvider(world: SimWorldStore(directory: "/nonexistent")),
        HostProvider(stateDirectory: "/nonexistent"),
    ]).catalog)

    static func run(_ bytes: [UInt8]) {
        let loaded = loader.load([ManifestInput(path: "fuzz.yaml", bytes: bytes)])
        Fuzz.require(loaded.desired == nil || !loaded.diagnostics.hasErrors, "a desired state despite errors")
        for diagnostic in loaded.diagnostics.items {
            Fuzz.require(!diagnostic.message.isEmpty, "an empty diagnostic")
        }
    }
}
