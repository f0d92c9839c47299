import Testing
@testable import BallastCore

@Suite("libyaml loader")
struct YAMLLoaderTests {
    struct Good: Sendable, CustomTestStringConvertible {
        var yaml: String
        var expected: [String]
        var reason: String
        var testDescription: String { reason }
    }

    static let good: [Good] = [
        Good(yaml: "a: 1\nb: text\nc: true\n", expected: ["{a: 1, b: \"text\", c: true}"], reason: "plain mapping keeps key order"),
        Good(yaml: "b: 1\na: 2\n", expected: ["{b: 1, a: 2}"], reason: "order is the document's, not sorted"),
        Good(yaml: "a: '42'\nb: \"true\"\nc: !!str 7\n", expected: ["{a: \"42\", b: \"true\", c: \"7\"}"], reason: "quoted and !!str scalars are strings"),
        Good(yaml: "a: !!int \"42\"\nb: !!float 1\nc: !!bool true\nd: !!null ''\n", expected: ["{a: 42, b: 1.0, c: true, d: null}"], reason: "standard tags are honoured"),
        Good(yaml: "l: !!seq [1, 2]\nm: !!map {k: v}\n", expected: ["{l: [1, 2], m: {k: \"v\"}}"], reason: "collection tags"),
        Good(yaml: "a: yes\nb: off\n", expected: ["{a: \"yes\", b: \"off\"}"], reason: "YAML 1.1 booleans stay strings"),
        Good(yaml: "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n", expected: ["{base: {x: 1, y: 2}, derived: {y: 3, x: 1}}"], reason: "merge key: explicit keys win"),
        Good(yaml: "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n", expected: ["{a: {x: 1}, b: {x: 2, y: 2}, c: {x: 1, y: 2}}"], reason: "merge list: earlier sources win"),
        Good(yaml: "a: &anchor [1, 2]\nb: *anchor\n", expected: ["{a: [1, 2], b: [1, 2]}"], reason: "alias copies the anchored node"),
        Good(yaml: "---\n---\n# only a comment\n---\na: 1\n...\n---\n", expected: ["{a: 1}"], reason: "empty documents are skipped"),
        Good(yaml: "a: 1\n---\nb: 2\n", expected: ["{a: 1}", "{b: 2}"], reason: "multi-document stream"),
        Good(yaml: "\u{FEFF}a: 1\n", expected: ["{a: 1}"], reason: "UTF-8 byte-order mark is accepted"),
        Good(yaml: "a: 1\r\nb: [x, y]\r\n", expected: ["{a: 1, b: [\"x\", \"y\"]}"], reason: "CRLF line endings are accepted"),
        Good(yaml: "%YAML 1.2\n---\na: 1\n", expected: ["{a: 1}"], reason: "YAML directive"),
        Good(yaml: "text: |\n  line one\n  line two\n", expected: ["{text: \"line one\nline two\n\"}"], reason: "literal block scalar"),
        Good(yaml: "name: \"snow ☃ ünïcode\"\n", expected: ["{name: \"snow ☃ ünïcode\"}"], reason: "unicode text"),
        Good(yaml: "1: one\ntrue: yes\n", expected: ["{1: \"one\", true: \"yes\"}"], reason: "scalar keys keep their text"),
    ]

    @Test(arguments: good)
    func parsesGoodYAML(_ testCase: Good) {
        let (documents, diagnostics) = parseYAML(testCase.yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(documents.map(render) == testCase.expected)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var yaml: String
        var position: String
        var message: String
        var reason: String
        var testDescription: String { reason }
    }

    static let bad: [Bad] = [
        Bad(yaml: "a: 1\nb: 2\na: 3\n", position: "3:1", message: "duplicate key 'a'", reason: "duplicate key"),
        Bad(yaml: "a:\n\tb: 1\n", position: "2:1", message: "tab characters must not be used for indentation", reason: "tab indentation"),
        Bad(yaml: "a: \"never closed\nb: 2\n", position: "3:1", message: "found unexpected end of stream while scanning a quoted scalar", reason: "unterminated double quote"),
        Bad(yaml: "a: 'open\n", position: "2:1", message: "found unexpected end of stream while scanning a quoted scalar", reason: "unterminated single quote"),
        Bad(yaml: "a:\n  b: 1\n c: 2\n", position: "3:2", message: "did not find expected key while parsing a block mapping", reason: "bad indentation"),
        Bad(yaml: "a: [1, 2\nb: 3\n", position: "2:2", message: "did not find expected ',' or ']' while parsing a flow sequence", reason: "unclosed flow sequence"),
        Bad(yaml: "a: *missing\n", position: "1:4", message: "alias '*missing' refers to an undefined anchor", reason: "undefined alias"),
        Bad(yaml: "a: !custom x\n", position: "1:4", message: "unsupported tag '!custom'; only !!str, !!int, !!bool, !!float, !!null, !!map and !!seq are allowed", reason: "unknown tag"),
        Bad(yaml: "a: !!int abc\n", position: "1:4", message: "'abc' is not a valid !!int", reason: "bad !!int"),
        Bad(yaml: "a: 99999999999999999999\n", position: "1:4", message: "integer '99999999999999999999' does not fit in 64 bits", reason: "integer overflow"),
        Bad(yaml: "? [a, b]\n: 1\n", position: "1:3", message: "mapping keys must be scalars", reason: "complex key"),
        Bad(yaml: "x: 1\n<<: 5\n", position: "2:1", message: "a merge key (<<) needs a mapping or a list of mappings, found an int", reason: "merge of a scalar"),
    ]

    @Test(arguments: bad)
    func reportsBadYAMLAtItsPosition(_ testCase: Bad) {
        let (_, diagnostics) = parseYAML(testCase.yaml)
        let first = diagnostics.first
        #expect(first?.message == testCase.message)
        #expect(first?.position == testCase.position)
        #expect(first?.severity == .error)
    }

    @Test func duplicateKeyPointsAtBothPositions() {
        let (_, diagnostics) = parseYAML("spec:\n  size: 1\n  size: 2\n")
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].position == "3:3")
        #expect(diagnostics[0].notes.first?.location.map { "\($0.line):\($0.column)" } == "2:3")
    }

    @Test func duplicateKeysInLargeMappingsAreFound() {
        var yaml = ""
        for index in 0..<50 { yaml += "k\(index): \(index)\n" }
        yaml += "k7: again\n"
        let (_, diagnostics) = parseYAML(yaml)
        #expect(diagnostics.map(\.message) == ["duplicate key 'k7'"])
        #expect(diagnostics.first?.position == "51:1")
    }

    @Test func invalidUTF8IsReportedWithItsPosition() {
        let bytes = Array("a: ok\nb: ".utf8) + [0xFF, 0xFE] + Array("\n".utf8)
        let (_, diagnostics) = parseYAML(bytes: bytes)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.hasPrefix("the input is not valid UTF-8") == true)
        #expect(diagnostics.first?.position == "2:4")
    }

    @Test func aliasBombIsStoppedCleanly() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        let (documents, diagnostics) = parseYAML(yaml)
        #expect(documents.isEmpty)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.contains("aliases expand to more than") == true)
    }

    @Test func deepNestingIsStoppedCleanly() {
        let yaml = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        let (documents, diagnostics) = parseYAML(yaml)
        #expect(documents.isEmpty)
        #expect(diagnostics.map(\.message) == ["nesting is deeper than 64 levels"])
        #expect(diagnostics.first?.position == "1:65")
    }

    /// libyaml is stopped at the first limit exceeded: what follows in that document is never
    /// scanned (on deep flow nesting libyaml's scanner is quadratic, 100,000 `[` took 47 s), so a
    /// syntax error later in the same document goes unreported, and the next document is parsed.
    @Test func aLimitStopsTheParserAndTheNextDocumentIsParsed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let yaml = "a: 1\n---\nb: \(deep)\nc: : : broken\nd: [\n--- \(deep)\n---\ne: 5\n"
        let (documents, diagnostics) = parseYAML(yaml)
        #expect(documents.map(render) == ["{a: 1}", "{e: 5}"])
        #expect(diagnostics.map(\.message) == ["nesting is deeper than 64 levels", "nesting is deeper than 64 levels"])
        #expect(diagnostics.map(\.position) == ["3:67", "6:69"])
    }

    @Test func aSyntaxErrorEndsOnlyItsOwnDocument() {
        let yaml = "a: 1\n---\nb: [\n---\nc: 3\nc: 4\n---\nd: 5\n"
        let (documents, diagnostics) = parseYAML(yaml)
        #expect(documents.map(render) == ["{a: 1}", "{c: 3}", "{d: 5}"])
        #expect(diagnostics.map(\.position) == ["4:1", "6:1"])
    }

    @Test func positionsAreOneBasedLineAndColumn() {
        let (documents, _) = parseYAML("first: 1\nnested:\n  inner: value\n")
        guard case .mapping(let entries)? = documents.first?.value, case .mapping(let nested) = entries[1].value.value else {
            Issue.record("expected nested mappings")
            return
        }
        #expect(entries[0].keyLocation.line == 1 && entries[0].keyLocation.column == 1)
        #expect(nested[0].keyLocation.line == 3 && nested[0].keyLocation.column == 3)
        #expect(nested[0].value.location.line == 3 && nested[0].value.location.column == 10)
    }
}

@Suite("Parallel loading")
struct ParallelLoadingTests {
    static func stream(documents: Int) -> String {
        (0..<documents).map { "---\nindex: \($0)\nname: doc-\($0)\nlist: [a, b]\n" }.joined()
    }

    @Test func parallelChunksGiveTheSameDocumentsInOrder() {
        let text = Self.stream(documents: 2_000) + "---\nbroken: [\n---\nlast: true\n"
        let bytes = Array(text.utf8)
        let sequential = YAMLLoader(parallelism: 1).load(bytes: bytes, file: 0) { node, _ in render(node) }
        let parallel = YAMLLoader(parallelism: 4, parallelThreshold: 1).load(bytes: bytes, file: 0) { node, _ in render(node) }
        #expect(sequential.outputs.count == 2_001)
        #expect(parallel.outputs == sequential.outputs)
        #expect(parallel.diagnostics.map(\.position) == sequential.diagnostics.map(\.position))
        #expect(sequential.diagnostics.count == 1)
    }

    /// Taking the bytes gives each chunk's pages back once parsed; the documents are the same.
    @Test func takingTheBytesGivesTheSameDocuments() {
        // Large enough for many whole pages per chunk.
        let text = Self.stream(documents: 40_000) + "---\nbroken: [\n---\nlast: true\n"
        let loader = YAMLLoader(parallelism: 4, parallelThreshold: 1)
        let kept = loader.loadChunks(bytes: Array(text.utf8), file: 0, makeTransform: { { node, _ in render(node) } })
        var bytes = Array(text.utf8)
        let taken = loader.loadChunks(taking: &bytes, file: 0, makeTransform: { { node, _ in render(node) } })
        #expect(bytes.isEmpty)
        #expect(taken.chunks.count > 1)
        #expect(Array(taken.chunks.joined()) == Array(kept.chunks.joined()))
        #expect(taken.diagnostics.map(\.position) == kept.diagnostics.map(\.position))
    }

    @Test func splitterKeepsDirectivesWithTheirDocument() {
        let text = "a: 1\n%YAML 1.2\n---\nb: 2\n--- # comment\nc: 3\n---x: not a marker\n"
        let cuts = Array(text.utf8).withUnsafeBytes { DocumentSplitter.cuts(in: $0) }
        #expect(cuts.map(\.line) == [0, 1, 4])
    }

    /// The chunking cuts (found near targets, lines counted a word at a time) agree with
    /// choosing among every cut, on streams with directives, comments, blank and CRLF lines.
    @Test(arguments: [1, 7, 40, 333, 4_096])
    func chunkCutsAgreeWithEveryCut(every size: Int) {
        var text = ""
        for index in 0..<300 {
            switch index % 5 {
            case 0: text += "%YAML 1.2\n# about the next one\n\n%TAG ! tag:example.com,2026:\n---\nindex: \(index)\n"
            case 1: text += "--- # comment\r\nindex: \(index)\r\n\r\n"
            case 2: text += "---\nlist:\n  - a\n  - b\n---x: not a marker\n"
            case 3: text += "---\ntext: |\n  line\n\n  more \(index)\n"
            default: text += "--- {index: \(index)}\n"
            }
        }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            let every = DocumentSplitter.cuts(in: buffer)
            var expected = [every[0]]
            for cut in every.dropFirst() where cut.offset - expected[expected.count - 1].offset >= size { expected.append(cut) }
            let chunked = DocumentSplitter.cuts(in: buffer, every: size)
            // Cuts past the last expected one may only be missing, never different.
            #expect(Array(chunked.prefix(expected.count)) == Array(expected.prefix(chunked.count)))
            for cut in chunked {
                let line = bytes[..<cut.offset].filter { $0 == 0x0A }.count
                #expect(cut.line == line, "line of the cut at byte \(cut.offset)")
            }
        }
    }

    @Test(arguments: [0, 1, 7, 8, 9, 63, 1_000])
    func newlinesAreCountedExactly(length: Int) {
        // Newlines among bytes that differ from one in a single bit (0x0B, 0x08, 0x8A, …).
        let bytes: [UInt8] = (0..<length).map { index in
            let isNewline = (index * 37) % 23 == 0
            return isNewline ? 0x0A : 0x0A ^ (UInt8(1) << UInt8(index % 8))
        }
        let counted = bytes.withUnsafeBufferPointer { DocumentSplitter.countNewlines($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, length) }
        #expect(counted == bytes.filter { $0 == 0x0A }.count)
    }
}
