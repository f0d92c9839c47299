internal import CYAML

/// Parses a YAML byte buffer with libyaml into document trees.
///
/// A syntax error, or a limit exceeded (``YAMLLimits``), ends the document it is in: libyaml is
/// stopped there, so hostile input (100,000 nested `[`, on which libyaml's own scanner is
/// quadratic) costs milliseconds. Parsing resumes at the next document marker, so one run
/// reports the errors of every document.
public struct YAMLParser: Sendable {
    public var limits: YAMLLimits
    /// Key paths, from a document's root, of mappings whose scalar values are text as written:
    /// `007` stays `007`, not 7 (``ManifestDecoder/textMaps``: labels and selectors).
    public var textMaps: [[String]] = []

    public init(limits: YAMLLimits = .default) {
        self.limits = limits
    }

    /// Parses `bytes` (a slice of a file that starts at a line start) and calls `handle` with
    /// each non-empty document's root, in order.
    ///
    /// - Parameters:
    ///   - file: the index of the file in the ``SourceFiles`` table.
    ///   - firstLine: the 0-based line of the file where `bytes` starts.
    ///   - cuts: the document cut points inside `bytes` (relative offsets and lines), used to resume
    ///     after a syntax error.
    public func parse(
        _ bytes: UnsafeRawBufferPointer,
        file: UInt32,
        firstLine: Int,
        cuts: [DocumentSplitter.Cut]? = nil,
        handle: (YAMLNode) -> Void
    ) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var start = 0
        var startLine = 0
        var knownCuts = cuts
        while start <= bytes.count {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start...])
            let failure = parseOnce(slice, file: file, lineOffset: firstLine + startLine, diagnostics: &diagnostics, handle: handle)
            guard let failure else { break }
            // Resume at the first document marker after the failing line.
            if knownCuts == nil { knownCuts = DocumentSplitter.cuts(in: bytes) }
            // After a syntax error, a marker on the failing line itself starts an intact document;
            // after a limit, the failing line is inside the abandoned document.
            let failing = startLine + failure.line
            guard let next = knownCuts!.first(where: { ($0.line > failing || ($0.line == failing && !failure.limit)) && $0.offset > start }) else { break }
            start = next.offset
            startLine = next.line
        }
        return diagnostics
    }

    /// Runs libyaml over one slice. Returns nil at a clean end, or the 0-based line (relative
    /// to the slice) of a syntax error or of the event that exceeded a limit.
    private func parseOnce(
        _ bytes: UnsafeRawBufferPointer,
        file: UInt32,
        lineOffset: Int,
        diagnostics: inout [Diagnostic],
        handle: (YAMLNode) -> Void
    ) -> (line: Int, limit: Bool)? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            diagnostics.append(.error("libyaml could not be initialised (out of memory)", at: nil))
            return nil
        }
        defer { yaml_parser_delete(parser) }
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var empty: UInt8 = 0
        withUnsafePointer(to: &empty) { emptyPointer in
            yaml_parser_set_input_string(parser, base ?? emptyPointer, bytes.count)
        }
        var builder = YAMLTreeBuilder(file: file, lineOffset: UInt32(lineOffset), limits: limits, textMaps: textMaps)
        var event = yaml_event_t()
        var failure: (line: Int, limit: Bool)?
        loop: while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                let diagnostic = syntaxError(parser, bytes: bytes, builder: builder)
                diagnostics.append(contentsOf: builder.diagnostics)
                diagnostics.append(diagnostic.diagnostic)
                failure = (diagnostic.line, false)
                break
            }
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                break loop
            case YAML_DOCUMENT_START_EVENT:
                builder.beginDocument()
            case YAML_DOCUMENT_END_EVENT:
                if let root = builder.endDocument() { handle(root) }
            case YAML_SCALAR_EVENT:
                builder.scalar(&event)
            case YAML_ALIAS_EVENT:
                builder.alias(&event)
            case YAML_SEQUENCE_START_EVENT:
                builder.startCollection(.sequence, &event)
            case YAML_MAPPING_START_EVENT:
                builder.startCollection(.mapping, &event)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                builder.endCollection()
            default:
                break
            }
            if builder.isAbandoned {
                // Stop here: nothing of this document is used, and going on costs libyaml
                // quadratic time on deep nesting.
                diagnostics.append(contentsOf: builder.diagnostics)
                failure = (Int(event.start_mark.line), true)
                break loop
            }
        }
        if failure == nil { diagnostics.append(contentsOf: builder.diagnostics) }
        return failure
    }

    private func syntaxError(
        _ parser: UnsafeMutablePointer<yaml_parser_t>,
        bytes: UnsafeRawBufferPointer,
        builder: YAMLTreeBuilder
    ) -> (diagnostic: Diagnostic, line: Int) {
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown syntax error"
        let context = parser.pointee.context.map { String(cString: $0) }
        var mark = parser.pointee.problem_mark
        if parser.pointee.error == YAML_READER_ERROR {
            // Reader errors (bad encoding) carry a byte offset rather than a mark.
            mark = Self.mark(atOffset: Int(parser.pointee.problem_offset), in: bytes)
        }
        var message = problem
        if problem.contains("cannot start any token"), Int(mark.index) < bytes.count, bytes[Int(mark.index)] == 0x09 {
            message = "tab characters must not be used for indentation"
        } else if problem.contains("invalid") && problem.contains("UTF-8") {
            message = "the input is not valid UTF-8 (\(problem))"
        } else if let context {
            message = "\(problem) \(context)"
        }
        var notes: [Diagnostic.Note] = []
        if let context, parser.pointee.error != YAML_READER_ERROR {
            let contextMark = parser.pointee.context_mark
            if contextMark.line != mark.line || contextMark.column != mark.column {
                notes.append(.init("\(context) that began here", at: builder.location(contextMark)))
            }
        }
        return (.error(message, at: builder.location(mark), notes: notes), Int(mark.line))
    }

    private static func mark(atOffset offset: Int, in bytes: UnsafeRawBufferPointer) -> yaml_mark_t {
        var line = 0
        var lineStart = 0
        let end = min(offset, bytes.count)
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        // Count characters, not bytes, up to the offset (continuation bytes do not start one).
        var column = 0
        for index in lineStart..<end where bytes[index] & 0xC0 != 0x80 {
            column += 1
        }
        var mark = yaml_mark_t()
        mark.index = offset
        mark.line = line
        mark.column = column
        return mark
    }
}
