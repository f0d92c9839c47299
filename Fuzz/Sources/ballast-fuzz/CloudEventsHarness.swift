import BallastCore
import BallastEngine

/// The CloudEvents webhook's parser: the first byte picks the content mode, the next lines up
/// to a blank one are `ce-*` headers (binary mode), the rest is the body.
enum CloudEventsHarness {
    static let contentTypes = ["application/cloudevents+json", "application/cloudevents-batch+json", "application/json", "text/plain"]

    static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        var rest = bytes.dropFirst()
        var headers = ["content-type": contentTypes[Int(first) % contentTypes.count]]
        if first & 0x80 != 0 {
            // Headers, `name: value` per line, until an empty line.
            while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: rest[..<newline], as: UTF8.self)
                rest = rest[(newline + 1)...]
                if line.isEmpty { break }
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        guard let events = try? CloudEvent.events(headers: headers, body: Array(rest)) else { return }
        for event in events { _ = try? event.scopes() }
    }
}
