@testable import BallastPlugins
import Testing

@Suite("Plugin line reader")
struct PluginLineReaderTests {
    private func line(_ text: String, truncated: Bool = false) -> PluginLineReader.Line {
        PluginLineReader.Line(text: text, truncated: truncated)
    }

    @Test func linesSplitAcrossChunksComeOutWhole() {
        var reader = PluginLineReader(maximumLength: 100)
        #expect(reader.append(Array("{\"a\":".utf8)).isEmpty)
        #expect(reader.append(Array("1}\n{\"b\"".utf8)) == [line("{\"a\":1}")])
        #expect(reader.append(Array(":2}\n\nlast".utf8)) == [line("{\"b\":2}"), line("")])
        #expect(reader.finish() == line("last"))
        #expect(reader.finish() == nil)
    }

    @Test func aLineOverTheMaximumIsCutAndTheRestOfItDropped() {
        var reader = PluginLineReader(maximumLength: 8)
        #expect(reader.append(Array("0123".utf8)).isEmpty)
        #expect(reader.append(Array("456789abc".utf8)) == [line("01234567", truncated: true)])
        // Still the same line: dropped, however much more comes.
        for _ in 0..<1000 { #expect(reader.append(Array(repeating: UInt8(ascii: "x"), count: 1000)).isEmpty) }
        #expect(reader.append(Array("yz\nok\n".utf8)) == [line("ok")])
        #expect(reader.append(Array("0123456789\n".utf8)) == [line("01234567", truncated: true)], "cut at the newline too")
        #expect(reader.append(Array("fine\n".utf8)) == [line("fine")])
        #expect(reader.append(Array("0123456789".utf8)) == [line("01234567", truncated: true)])
        #expect(reader.finish() == nil, "the dropped rest is not a line")
    }
}
