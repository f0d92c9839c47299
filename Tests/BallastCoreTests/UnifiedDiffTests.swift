import BallastCore
import Testing

@Suite struct UnifiedDiffTests {
    @Test func changedLinesWithContext() {
        let before = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let after = before.replacingOccurrences(of: "line 5\n", with: "line five\n").replacingOccurrences(of: "line 10\n", with: "line 10\nline 11\n")
        #expect(UnifiedDiff.lines(before: before, after: after) == [
            "@@ -2,9 +2,10 @@", " line 2", " line 3", " line 4", "-line 5", "+line five", " line 6", " line 7", " line 8", " line 9", " line 10", "+line 11",
        ])
    }

    @Test func separateHunksAndEdges() {
        let lines = (1...20).map(String.init)
        let before = lines.joined(separator: "\n")
        var edited = lines
        edited[1] = "two"
        edited.remove(at: 18)
        let after = edited.joined(separator: "\n")
        let diff = UnifiedDiff.lines(before: before, after: after)!
        #expect(diff.filter { $0.hasPrefix("@@") } == ["@@ -1,5 +1,5 @@", "@@ -16,5 +16,4 @@"])
        #expect(UnifiedDiff.lines(before: "same\n", after: "same\n") == [])
        #expect(UnifiedDiff.lines(before: "", after: "new\n") == ["@@ -0,0 +1,1 @@", "+new"])
    }
}

@Suite struct PathConfinementTests {
    @Test func pathsStayInsideTheRoot() {
        #expect(PathConfinement.resolve("etc/app.conf", under: "/srv/root") == "/srv/root/etc/app.conf")
        #expect(PathConfinement.resolve("a/../b/./c", under: "/srv/root/") == "/srv/root/b/c")
        #expect(PathConfinement.resolve("/srv/root/x", under: "/srv/root") == "/srv/root/x")
        #expect(PathConfinement.resolve("../x", under: "/srv/root") == nil)
        #expect(PathConfinement.resolve("a/../../x", under: "/srv/root") == nil)
        #expect(PathConfinement.resolve("/srv/rootless/x", under: "/srv/root") == nil)
        #expect(PathConfinement.resolve("/etc/passwd", under: "/srv/root") == nil)
        #expect(PathConfinement.resolve("x", under: "state/root") == "state/root/x")
        #expect(PathConfinement.resolve("../../x", under: "state/root") == nil)
    }
}
