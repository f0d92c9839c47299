import BallastCore
import BallastHost
import BallastProviders
import BallastSim
import FuzzDriver

/// The manifest loader and validator, with the sim and host providers' schemas: any bytes give
/// diagnostics or a desired state, never a trap, a hang or runaway memory. Every error has a
/// message; a loaded estate has no errors.
enum Harness {
    static let loader = ManifestLoader(catalog: ProviderRegistry([
        SimProvider(world: SimWorldStore(directory: "/nonexistent")),
        HostProvider(stateDirectory: "/nonexistent"),
    ]).catalog)

    static func run(_ bytes: [UInt8]) {
        let loaded = loader.load([ManifestInput(path: "fuzz.yaml", bytes: bytes)])
        FuzzDriver.require(loaded.desired == nil || !loaded.diagnostics.hasErrors, "a desired state despite errors")
        for diagnostic in loaded.diagnostics.items {
            FuzzDriver.require(!diagnostic.message.isEmpty, "an empty diagnostic")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Harness.run(FuzzDriver.bytes(data, size))
    return 0
}

@main
enum Main {
    static func main() { FuzzDriver.run(testOneInput) }
}
