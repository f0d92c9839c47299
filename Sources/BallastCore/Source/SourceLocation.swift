/// A position in a manifest source: which file, and the 1-based line and column.
///
/// Locations are compact (12 bytes) because every YAML node carries one; the file is an
/// index into the ``SourceFiles`` table that the loader builds.
public struct SourceLocation: Sendable, Hashable {
    public var file: UInt32
    public var line: UInt32
    public var column: UInt32

    public init(file: UInt32, line: UInt32, column: UInt32) {
        self.file = file
        self.line = line
        self.column = column
    }
}
