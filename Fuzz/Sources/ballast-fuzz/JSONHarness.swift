import BallastCore

/// The JSON parser used for plugin answers, saved plans, API bodies and state columns: any
/// bytes give a value or an error, and a value survives being written and read back.
enum JSONHarness {
    static func run(_ bytes: [UInt8]) {
        guard let value = try? JSONValueParser.parse(bytes) else { return }
        let written = JSONText.string(value)
        let reread = try? JSONValueParser.parse(Array(written.utf8))
        Fuzz.require(reread != nil, "JSONText wrote what JSONValueParser cannot read: \(written.prefix(200))")
        Fuzz.require(JSONText.string(reread!) == written, "writing is not stable: \(written.prefix(200))")
    }
}
