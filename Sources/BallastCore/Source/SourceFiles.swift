/// The table of input files a load read, indexed by ``SourceLocation/file``.
public struct SourceFiles: Sendable, Hashable {
    public private(set) var paths: [String] = []

    public init() {}

    /// Adds a path and returns its index.
    public mutating func add(_ path: String) -> UInt32 {
        paths.append(path)
        return UInt32(paths.count - 1)
    }

    /// The path for a file index, or `<unknown>` when it is out of range.
    public func path(_ file: UInt32) -> String {
        Int(file) < paths.count ? paths[Int(file)] : "<unknown>"
    }

    /// `path:line:column` for a location.
    public func describe(_ location: SourceLocation) -> String {
        "\(path(location.file)):\(location.line):\(location.column)"
    }
}
