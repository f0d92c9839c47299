#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// libFuzzer's entry, as the toolchain's runtime exports it: parses libFuzzer's flags and runs
/// `callback` on each input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// One executable for every harness, picked by `BALLAST_FUZZ_HARNESS` (an environment variable,
/// so that processes libFuzzer starts itself, for `-fork` or `-merge`, run the same harness).
/// Every other argument is libFuzzer's.
@main
enum Fuzz {
    static let harnesses: [String: @Sendable ([UInt8]) -> Void] = [
        "manifests": ManifestsHarness.run,
        "json": JSONHarness.run,
        "plugin-wire": PluginWireHarness.run,
        "cloudevents": CloudEventsHarness.run,
        "saved-plan": SavedPlanHarness.run,
    ]

    /// The harness this process runs. libFuzzer calls back through a C function that captures
    /// nothing, so the choice lives here, set once before fuzzing starts.
    nonisolated(unsafe) static var selected: ([UInt8]) -> Void = { _ in }

    static func main() {
        let name = ProcessInfo.processInfo.environment["BALLAST_FUZZ_HARNESS"] ?? ""
        guard let harness = harnesses[name] else {
            FileHandle.standardError.write(Data("ballast-fuzz: set BALLAST_FUZZ_HARNESS to one of \(harnesses.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(64)
        }
        selected = harness
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }

    /// A property the code under test must keep: a violation is a finding, like a crash.
    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("property violated: \(message())") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    Fuzz.selected(bytes)
    return 0
}
