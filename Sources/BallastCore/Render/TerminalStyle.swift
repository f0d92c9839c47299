/// ANSI styling, switched off when output is not a terminal or `NO_COLOR` is set.
public struct TerminalStyle: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    public static let plain = TerminalStyle(enabled: false)

    /// The graphic rendition codes Ballast uses, and the only escape sequences that reach a
    /// terminal (``TerminalText``): reset, bold, dim and four colours.
    public static let codes: Set<String> = ["0", "1", "2", "31", "32", "33", "35"]

    public func green(_ text: String) -> String { wrap(text, "32") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func red(_ text: String) -> String { wrap(text, "31") }
    public func magenta(_ text: String) -> String { wrap(text, "35") }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func action(_ action: Action, _ text: String) -> String {
        switch action {
        case .create: green(text)
        case .update: yellow(text)
        case .replace: magenta(text)
        case .delete: red(text)
        case .noop: text
        }
    }
}
