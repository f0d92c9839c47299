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

    /// By whole components: a sibling whose name starts the same is not within.
    @Test(arguments: [
        ("/srv/a", "/srv/a", true), ("/srv/a/b.yaml", "/srv/a", true), ("/srv/a/b.yaml", "/srv/a/", true), ("/x", "/", true),
        ("/srv/ab/c.yaml", "/srv/a", false), ("/srv", "/srv/a", false), ("estates/prod/team", "estates/prod", true),
    ])
    func isWithinWholeComponents(path: String, directory: String, within: Bool) {
        #expect(PathText.isWithin(path, directory) == within)
    }
}
