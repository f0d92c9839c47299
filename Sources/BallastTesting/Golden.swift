import Foundation

/// Golden-file comparison. Set `BALLAST_UPDATE_GOLDEN=1` to rewrite the files instead.
public enum Golden {
    /// Nil when `actual` matches the file; otherwise a description of the first difference.
    public static func mismatch(_ actual: String, file path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        if ProcessInfo.processInfo.environment["BALLAST_UPDATE_GOLDEN"] == "1" {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: url)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return "golden file \(path) is missing; run the tests with BALLAST_UPDATE_GOLDEN=1 to create it"
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard expected != actual else { return nil }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let want = index < expectedLines.count ? String(expectedLines[index]) : "<end of file>"
            let got = index < actualLines.count ? String(actualLines[index]) : "<end of file>"
            if want != got {
                return "\(path):\(index + 1): golden mismatch\n  expected: \(want)\n  actual:   \(got)\n(rerun with BALLAST_UPDATE_GOLDEN=1 if the change is intended)"
            }
        }
        return "\(path): golden mismatch"
    }
}

/// Paths inside the repository, found from a test file's own path.
public enum Repository {
    /// The repository root, given `#filePath` of a file in `Tests/<Target>/`.
    public static func root(from filePath: String) -> String {
        var url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }
}
