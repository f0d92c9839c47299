/// The one rule for text that reaches a terminal: control characters (escape sequences
/// included) and the invisible controls that reorder text (bidirectional overrides and
/// isolates, U+202E and the like) are shown as `\u{1B}`-style escapes, wherever the text came
/// from (manifests, plugins, providers, file names).
///
/// Every byte Ballast writes to standard output or error passes through
/// ``escaping(_:keepingStyle:)``, so no renderer has to remember it; JSON output escapes the
/// same characters its own way (``JSONText``), so it stays valid JSON and the terminal pass
/// finds nothing to change.
public enum TerminalText {
    /// Escapes what must not reach a terminal as it is. Newlines and tabs stay.
    ///
    /// `keepingStyle`: Ballast's own colours (``TerminalStyle``, select graphic rendition with
    /// the codes it uses and nothing else) stay, when colour is on for that stream. Text from
    /// elsewhere can at most colour itself with them: never move the cursor, hide text, set
    /// the window title or make a link.
    public static func escaping(_ text: String, keepingStyle: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: mustEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if keepingStyle, scalar == "\u{1B}", let length = styleSequenceLength(scalars, at: index) {
                out.unicodeScalars.append(contentsOf: scalars[index..<(index + length)])
                index += length
                continue
            }
            if mustEscape(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            index += 1
        }
        return out
    }

    /// Kept for the renderers that escape a value where they place it; the same rule.
    public static func safe(_ text: String) -> String { escaping(text) }

    /// C0 controls but newline and tab, DEL, C1 controls, and the bidirectional and line
    /// controls that make text read differently from what it is.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00..<0x20, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }

    /// The length of a ``TerminalStyle`` sequence (`ESC [ code m`) at `index`, or nil.
    private static func styleSequenceLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard index + 2 < scalars.count, scalars[index + 1] == "[" else { return nil }
        var end = index + 2
        var code = ""
        while end < scalars.count, end - index < 6, ("0"..."9").contains(scalars[end]) {
            code.unicodeScalars.append(scalars[end])
            end += 1
        }
        guard end < scalars.count, scalars[end] == "m", TerminalStyle.codes.contains(code) else { return nil }
        return end - index + 1
    }
}
