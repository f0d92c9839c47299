import Foundation
import Testing
@testable import BallastCore

@Suite("Path text")
struct PathTextTests {
    /// Foundation's `deletingLastPathComponent` traps on `"."` and `"m"` (so did `ballast watch .`);
    /// this one answers as it does everywhere else.
    @Test(arguments: [
        (".", ""), ("m", ""), ("ab", ""), ("a/b", "a"), ("/a", "/"), ("/", "/"), ("a/b/", "a"), ("a//b", "a"),
        ("/x/y/z.yaml", "/x/y"), ("./m", "."), ("", ""),
    ])
    func deletesTheLastComponent(path: String, parent: String) {
        #expect(PathText.deletingLastComponent(path) == parent)
    }
}
