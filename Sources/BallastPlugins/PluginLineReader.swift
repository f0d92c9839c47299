import Foundation

/// Splits what a plugin writes into lines, in bounded memory: a line longer than
/// ``maximumLength`` is cut there and marked, and the rest of it, up to its newline, is dropped.
/// A plugin that never sends a newline costs at most ``maximumLength`` bytes, not all it sends.
struct PluginLineReader {
    struct Line: Equatable {
        var text: String
        /// The line was longer than the maximum: `text` is its start only.
        var truncated: Bool
    }

    /// 64 MiB: far above an observe answer of 100,000 resources.
    static let defaultMaximumLength = 64 << 20

    let maximumLength: Int
    private var buffer: [UInt8] = []
    /// Inside an over-long line: drop bytes until its newline.
    private var skipping = false

    init(maximumLength: Int = Self.defaultMaximumLength) {
        precondition(maximumLength > 0)
        self.maximumLength = maximumLength
    }

    /// The lines `chunk` completes, in order.
    mutating func append(_ chunk: Data) -> [Line] {
        chunk.withUnsafeBytes { append(bytes: $0) }
    }

    /// The lines `chunk` completes, in order.
    mutating func append(_ chunk: ArraySlice<UInt8>) -> [Line] {
        chunk.withUnsafeBytes { append(bytes: $0) }
    }

    /// The lines `chunk` completes, in order.
    mutating func append(_ chunk: [UInt8]) -> [Line] {
        chunk.withUnsafeBytes { append(bytes: $0) }
    }

    /// The one implementation behind every `append`: concrete, so that a plugin's output is
    /// scanned without generic dispatch (a generic version spent most of its time looking up
    /// type metadata per chunk).
    private mutating func append(bytes chunk: UnsafeRawBufferPointer) -> [Line] {
        var lines: [Line] = []
        var rest = chunk[...]
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
            let piece = rest[..<(newline ?? rest.endIndex)]
            if skipping {
                if newline != nil { skipping = false }
            } else if buffer.count + piece.count > maximumLength {
                buffer.append(contentsOf: piece.prefix(maximumLength - buffer.count))
                lines.append(Line(text: String(decoding: buffer, as: UTF8.self), truncated: true))
                buffer.removeAll(keepingCapacity: false)
                skipping = newline == nil
            } else {
                buffer.append(contentsOf: piece)
                if newline != nil {
                    lines.append(Line(text: String(decoding: buffer, as: UTF8.self), truncated: false))
                    buffer.removeAll(keepingCapacity: buffer.count < 65_536)
                }
            }
            guard let newline else { break }
            rest = rest[rest.index(after: newline)...]
        }
        return lines
    }

    /// The last line, when the stream ended without a newline after it.
    mutating func finish() -> Line? {
        defer { buffer = [] }
        guard !skipping, !buffer.isEmpty else { return nil }
        return Line(text: String(decoding: buffer, as: UTF8.self), truncated: false)
    }
}
