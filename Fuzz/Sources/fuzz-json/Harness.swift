import BallastCore
import FuzzDriver

/// The JSON parser used for plugin answers, saved plans, API bodies and state columns: any
/// bytes give a value or an error, and a value survives being written and read back.
enum Harness {
    static func run(_ bytes: [UInt8]) {
        guard let value = try? JSONValueParser.parse(bytes) else { return }
        let written = JSONText.string(value)
        let reread = try? JSONValueParser.parse(Array(written.utf8))
        FuzzDriver.require(reread != nil, "JSONText wrote what JSONValueParser cannot read: \(written.prefix(200))")
        FuzzDriver.require(JSONText.string(reread!) == written, "writing is not stable: \(written.prefix(200))")
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
