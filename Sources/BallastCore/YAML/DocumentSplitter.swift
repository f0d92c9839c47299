#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the places where a multi-document YAML stream can be cut without changing its meaning.
///
/// A line that starts with `---` followed by white space or the end of the line is a document
/// marker wherever it appears (YAML forbids it inside content), so the stream can be cut just
/// before it. Directive lines (`%YAML`, `%TAG`) that precede a marker stay with its document.
public enum DocumentSplitter {
    /// A place to cut: the byte offset of a line start, and that line's 0-based number.
    public struct Cut: Sendable, Hashable {
        public var offset: Int
        public var line: Int
    }

    /// Every cut point in the buffer, in order, starting with offset 0 at line 0.
    public static func cuts(in bytes: UnsafeRawBufferPointer) -> [Cut] {
        var cuts = [Cut(offset: 0, line: 0)]
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return cuts }
        let count = bytes.count
        var lineStart = 0
        var line = 0
        var directiveStart: (offset: Int, line: Int)?
        while lineStart < count {
            let byte = base[lineStart]
            if byte == UInt8(ascii: "-"), isMarker(base, lineStart, count) {
                let cut = directiveStart.map { Cut(offset: $0.offset, line: $0.line) } ?? Cut(offset: lineStart, line: line)
                if cut.offset > 0, cut.offset != cuts[cuts.count - 1].offset { cuts.append(cut) }
                directiveStart = nil
            } else if byte == UInt8(ascii: "%") {
                if directiveStart == nil { directiveStart = (lineStart, line) }
            } else if byte != UInt8(ascii: "#") && byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\r") {
                directiveStart = nil
            }
            // Advance to the next line.
            let remaining = count - lineStart
            guard let newline = memchr(base + lineStart, 0x0A, remaining) else { break }
            lineStart = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
            line += 1
        }
        return cuts
    }


    private static func isMarker(_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Bool {
        guard start + 3 <= count,
              base[start + 1] == UInt8(ascii: "-"),
              base[start + 2] == UInt8(ascii: "-") else { return false }
        if start + 3 == count { return true }
        let next = base[start + 3]
        return next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r")
    }
}
