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

extension DocumentSplitter {
    /// Cut points about `every` bytes apart, for parsing chunks in parallel.
    ///
    /// Equivalent to picking from ``cuts(in:)`` the first cut at least `every` bytes past the
    /// previous one, but only the lines near each target are looked at and the lines in
    /// between are counted eight bytes at a time, so a 35 MB file costs milliseconds.
    public static func cuts(in bytes: UnsafeRawBufferPointer, every size: Int) -> [Cut] {
        var cuts = [Cut(offset: 0, line: 0)]
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), size > 0 else { return cuts }
        let count = bytes.count
        var target = size
        while target < count {
            guard let offset = nextCut(base, count, from: target) else { break }
            let previous = cuts[cuts.count - 1]
            cuts.append(Cut(offset: offset, line: previous.line + countNewlines(base + previous.offset, offset - previous.offset)))
            target = offset + size
        }
        return cuts
    }

    /// The first cut at or after `start`: a document marker line, moved back over the
    /// directives (and comments and blank lines among them) that belong to its document.
    private static func nextCut(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        // The first line that starts at or after `start`.
        var lineStart = start
        if lineStart > 0 && base[lineStart - 1] != 0x0A {
            guard let newline = memchr(base + lineStart, 0x0A, count - lineStart) else { return nil }
            lineStart = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
        }
        while lineStart < count {
            if base[lineStart] == UInt8(ascii: "-"), isMarker(base, lineStart, count) {
                // A marker whose directives begin before `start` is not a cut at or after it.
                let cut = directiveStart(before: lineStart, base) ?? lineStart
                if cut > 0 && cut >= start { return cut }
            }
            guard let newline = memchr(base + lineStart, 0x0A, count - lineStart) else { return nil }
            lineStart = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
        }
        return nil
    }

    /// Walking back from a marker over directive, comment and blank lines: the first
    /// directive line of that run, if there is one.
    private static func directiveStart(before marker: Int, _ base: UnsafePointer<UInt8>) -> Int? {
        var found: Int?
        var lineEnd = marker  // exclusive: the start of the line after the one examined
        while lineEnd > 0 {
            var lineStart = lineEnd - 1
            while lineStart > 0 && base[lineStart - 1] != 0x0A { lineStart -= 1 }
            let byte = base[lineStart]
            if byte == UInt8(ascii: "%") {
                found = lineStart
            } else if byte != UInt8(ascii: "#") && byte != 0x0A && byte != 0x0D {
                break
            }
            lineEnd = lineStart
        }
        return found
    }

    /// The number of `\n` bytes, counted a machine word at a time.
    static func countNewlines(_ start: UnsafePointer<UInt8>, _ length: Int) -> Int {
        let raw = UnsafeRawPointer(start)
        var count = 0
        var index = 0
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while index + 8 <= length {
            // Bytes equal to 0x0A become zero; a byte is zero exactly when its high bit stays
            // clear below (no carries cross bytes, since each sum is at most 0xFE).
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ (ones &* 0x0A)
            let nonZero = ((word & low7) &+ low7) | word
            count += 8 - (nonZero & ~low7).nonzeroBitCount
            index += 8
        }
        while index < length {
            if start[index] == 0x0A { count += 1 }
            index += 1
        }
        return count
    }
}
