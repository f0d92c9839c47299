import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loads multi-document YAML files, parsing large inputs on several cores.
///
/// A file is cut at document markers into about as many chunks as there are cores; chunks are
/// parsed concurrently and each document is handed to `transform` on the thread that parsed it,
/// so the tree of one document can be dropped as soon as it is decoded. Results keep input order.
public struct YAMLLoader: Sendable {
    public var parser: YAMLParser
    /// How many chunks to parse at once; 1 disables parallel parsing.
    public var parallelism: Int
    /// Inputs smaller than this are parsed on one thread.
    public var parallelThreshold: Int

    public init(limits: YAMLLimits = .default, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, parallelThreshold: Int = 1 << 20) {
        self.parser = YAMLParser(limits: limits)
        self.parallelism = max(1, parallelism)
        self.parallelThreshold = parallelThreshold
    }

    /// Parses one file's bytes and maps each document through `transform`.
    public func load<Output: Sendable>(
        bytes: [UInt8],
        file: UInt32,
        transform: @escaping @Sendable (YAMLNode, inout [Diagnostic]) -> Output?
    ) -> (outputs: [Output], diagnostics: [Diagnostic]) {
        let (chunks, diagnostics) = loadChunks(bytes: bytes, file: file, transform: transform)
        return (Array(chunks.joined()), diagnostics)
    }

    /// Like ``load(bytes:file:transform:)``, but keeps the outputs in per-chunk arrays (in
    /// input order), so that large inputs are never copied into one array.
    public func loadChunks<Output: Sendable>(
        bytes: [UInt8],
        file: UInt32,
        transform: @escaping @Sendable (YAMLNode, inout [Diagnostic]) -> Output?
    ) -> (chunks: [[Output]], diagnostics: [Diagnostic]) {
        loadChunks(bytes: bytes, file: file, makeTransform: { transform })
    }

    /// Like ``loadChunks(bytes:file:transform:)``, with a transform made afresh for each chunk,
    /// on the thread that parses it: it may keep state across that chunk's documents (the
    /// decoder shares repeated label sets that way) without any locking.
    public func loadChunks<Output: Sendable>(
        bytes: [UInt8],
        file: UInt32,
        makeTransform: @Sendable () -> (YAMLNode, inout [Diagnostic]) -> Output?
    ) -> (chunks: [[Output]], diagnostics: [Diagnostic]) {
        bytes.withUnsafeBytes { buffer in
            load(buffer, file: file, makeTransform: makeTransform, parsed: nil)
        }
    }

    /// Like ``loadChunks(bytes:file:makeTransform:)`` for a caller that is done with the
    /// bytes: each chunk's pages are handed back to the system as soon as the chunk is parsed,
    /// so a large input is never whole in memory next to everything decoded from it.
    /// `bytes` is empty afterwards.
    public func loadChunks<Output: Sendable>(
        taking bytes: inout [UInt8],
        file: UInt32,
        makeTransform: @Sendable () -> (YAMLNode, inout [Diagnostic]) -> Output?
    ) -> (chunks: [[Output]], diagnostics: [Diagnostic]) {
        let result = bytes.withUnsafeMutableBytes { buffer in
            nonisolated(unsafe) let owned = buffer
            return load(UnsafeRawBufferPointer(buffer), file: file, makeTransform: makeTransform) { range in
                Self.discardPages(of: owned, within: range)
            }
        }
        bytes = []
        return result
    }

    /// Parses `buffer`; `parsed` hears of each chunk's byte range once it is parsed (only when
    /// the input is cut into several chunks).
    private func load<Output: Sendable>(
        _ buffer: UnsafeRawBufferPointer,
        file: UInt32,
        makeTransform: @Sendable () -> (YAMLNode, inout [Diagnostic]) -> Output?,
        parsed: (@Sendable (Range<Int>) -> Void)?
    ) -> (chunks: [[Output]], diagnostics: [Diagnostic]) {
        if buffer.count > parser.limits.maxInputBytes {
            return ([], [.error("input is larger than the limit of \(parser.limits.maxInputBytes) bytes", at: SourceLocation(file: file, line: 1, column: 1))])
        }
        let chunks = chunk(buffer)
        if chunks.count == 1 {
            let result = parseChunk(buffer, chunks[0], file: file, transform: makeTransform())
            return ([result.outputs], result.diagnostics)
        }
        let results = UnsafeMutableBufferPointer<(outputs: [Output], diagnostics: [Diagnostic])>.allocate(capacity: chunks.count)
        results.initialize(repeating: ([], []))
        defer {
            results.deinitialize()
            results.deallocate()
        }
        nonisolated(unsafe) let slots = results
        nonisolated(unsafe) let input = buffer
        DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
            slots[index] = parseChunk(input, chunks[index], file: file, transform: makeTransform())
            parsed?(chunks[index].start.offset..<chunks[index].end)
        }
        var outputs: [[Output]] = []
        outputs.reserveCapacity(chunks.count)
        var diagnostics: [Diagnostic] = []
        for index in results.indices {
            outputs.append(results[index].outputs)
            results[index].outputs = []
            diagnostics.append(contentsOf: results[index].diagnostics)
        }
        return (outputs, diagnostics)
    }

    /// Gives the whole pages inside `range` of `buffer` back to the system; they read as zeros
    /// afterwards, so nothing may read them again. Pages shared with a neighbouring chunk stay.
    private static func discardPages(of buffer: UnsafeMutableRawBufferPointer, within range: Range<Int>) {
        guard let base = buffer.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let address = Int(bitPattern: base)
        let start = (address + range.lowerBound + page - 1) / page * page
        let end = (address + range.upperBound) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
    }

    private struct Chunk {
        var start: DocumentSplitter.Cut
        var end: Int
    }

    private func chunk(_ buffer: UnsafeRawBufferPointer) -> [Chunk] {
        guard parallelism > 1, buffer.count >= parallelThreshold else {
            return [Chunk(start: .init(offset: 0, line: 0), end: buffer.count)]
        }
        // Many chunks per worker even out uneven documents and the wait for the last chunk.
        let cuts = DocumentSplitter.cuts(in: buffer, every: max(1, buffer.count / (parallelism * 16)))
        return cuts.indices.map { index in
            Chunk(start: cuts[index], end: index + 1 < cuts.count ? cuts[index + 1].offset : buffer.count)
        }
    }

    private func parseChunk<Output>(
        _ buffer: UnsafeRawBufferPointer,
        _ chunk: Chunk,
        file: UInt32,
        transform: (YAMLNode, inout [Diagnostic]) -> Output?
    ) -> (outputs: [Output], diagnostics: [Diagnostic]) {
        let slice = UnsafeRawBufferPointer(rebasing: buffer[chunk.start.offset..<chunk.end])
        var outputs: [Output] = []
        var documentDiagnostics: [Diagnostic] = []
        let syntax = parser.parse(slice, file: file, firstLine: chunk.start.line) { root in
            if let output = transform(root, &documentDiagnostics) { outputs.append(output) }
        }
        return (outputs, syntax + documentDiagnostics)
    }
}
